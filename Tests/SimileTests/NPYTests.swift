import Foundation
import Testing
@testable import Simile

@Suite struct NPYTests {
    /// Files written by NumPy 2.4 with `np.lib.format.write_array`, as hex, 32 bytes a line: the data starts
    /// on a fresh line, at a multiple of 64 bytes.
    static let numpyFiles: [String: String] = [
        "float32_2x3": """
            934e554d5059010076007b276465736372273a20273c6634272c2027666f7274
            72616e5f6f72646572273a2046616c73652c20277368617065273a2028322c20
            33292c207d202020202020202020202020202020202020202020202020202020
            202020202020202020202020202020202020202020202020202020202020200a
            0000c03f000010c000004040cdcccc3d6f12833acec917e2
            """,
        "float64_4": """
            934e554d5059010076007b276465736372273a20273c6638272c2027666f7274
            72616e5f6f72646572273a2046616c73652c20277368617065273a2028342c29
            2c207d2020202020202020202020202020202020202020202020202020202020
            202020202020202020202020202020202020202020202020202020202020200a
            9a9999999999b93f555555555555d5bff168e388b5f8e43ec976be9f0c24fe40
            """,
        "version2": """
            934e554d50590200740000007b276465736372273a20273c6634272c2027666f
            727472616e5f6f72646572273a2046616c73652c20277368617065273a202833
            2c292c207d202020202020202020202020202020202020202020202020202020
            202020202020202020202020202020202020202020202020202020202020200a
            0000803f0000004000004040
            """,
        "version3": """
            934e554d50590300740000007b276465736372273a20273c6634272c2027666f
            727472616e5f6f72646572273a2046616c73652c20277368617065273a202832
            2c292c207d202020202020202020202020202020202020202020202020202020
            202020202020202020202020202020202020202020202020202020202020200a
            000080400000a040
            """,
        "scalar": """
            934e554d5059010076007b276465736372273a20273c6634272c2027666f7274
            72616e5f6f72646572273a2046616c73652c20277368617065273a2028292c20
            7d20202020202020202020202020202020202020202020202020202020202020
            202020202020202020202020202020202020202020202020202020202020200a
            00005040
            """,
        "empty_2x0": """
            934e554d5059010076007b276465736372273a20273c6634272c2027666f7274
            72616e5f6f72646572273a2046616c73652c20277368617065273a2028322c20
            30292c207d202020202020202020202020202020202020202020202020202020
            202020202020202020202020202020202020202020202020202020202020200a
            """,
        "ones_15d": """
            934e554d50590100b6007b276465736372273a20273c6634272c2027666f7274
            72616e5f6f72646572273a2046616c73652c20277368617065273a2028312c20
            312c20312c20312c20312c20312c20312c20312c20312c20312c20312c20312c
            20312c20312c2031292c207d2020202020202020202020202020202020202020
            2020202020202020202020202020202020202020202020202020202020202020
            202020202020202020202020202020202020202020202020202020202020200a
            0000b040
            """,
        "int64": """
            934e554d5059010076007b276465736372273a20273c6938272c2027666f7274
            72616e5f6f72646572273a2046616c73652c20277368617065273a2028322c29
            2c207d2020202020202020202020202020202020202020202020202020202020
            202020202020202020202020202020202020202020202020202020202020200a
            01000000000000000200000000000000
            """,
        "fortran": """
            934e554d5059010076007b276465736372273a20273c6634272c2027666f7274
            72616e5f6f72646572273a20547275652c20277368617065273a2028322c2033
            292c207d20202020202020202020202020202020202020202020202020202020
            202020202020202020202020202020202020202020202020202020202020200a
            00000000000040400000803f00008040000000400000a040
            """,
        "bigendian": """
            934e554d5059010076007b276465736372273a20273e6634272c2027666f7274
            72616e5f6f72646572273a2046616c73652c20277368617065273a2028322c29
            2c207d2020202020202020202020202020202020202020202020202020202020
            202020202020202020202020202020202020202020202020202020202020200a
            3f80000040000000
            """,
    ]

    static let roundTripShapes: [[Int]] = [[], [0], [1], [7], [3, 5], [2, 3, 4]]

    @Test("write then read gives back the values and shape, with NumPy's aligned 1.0 header",
          arguments: roundTripShapes)
    func roundTrip(shape: [Int]) throws {
        let scratch = try Scratch()
        let path = scratch.path("array.npy")
        let values = randomValues(shape.reduce(1, *), seed: 60)
        try NPY.write(values, shape: shape, to: path)

        let read = try NPY.read(path)
        #expect(read.shape == shape)
        #expect(read.values == values)
        let bytes = try scratch.bytes("array.npy")
        #expect(Array(bytes.prefix(8)) == [0x93] + Array("NUMPY".utf8) + [1, 0])
        let dataOffset = 10 + Int(bytes[8]) + Int(bytes[9]) << 8
        #expect(dataOffset % 64 == 0)
        #expect(bytes[dataOffset - 1] == UInt8(ascii: "\n"))
        #expect(bytes.count == dataOffset + 4 * values.count)
        #expect(try scratch.files() == ["array.npy"], "the temporary file is left behind")
    }

    @Test("the bytes written are the bytes NumPy writes")
    func matchesNumPy() throws {
        let scratch = try Scratch()
        for name in ["float32_2x3", "scalar", "empty_2x0", "ones_15d"] {
            let (values, shape) = try NPY.read(scratch.put(Self.fixture(name), "numpy.npy"))
            try NPY.write(values, shape: shape, to: scratch.path("ours.npy"))
            #expect(try scratch.bytes("ours.npy") == Self.fixture(name), "\(name)")
        }
    }

    @Test("a header over 65535 bytes is written as version 2.0, still aligned")
    func largeHeader() throws {
        let scratch = try Scratch()
        let shape = [Int](repeating: 1, count: 22_000)
        try NPY.write([2.5], shape: shape, to: scratch.path("wide.npy"))

        let bytes = try scratch.bytes("wide.npy")
        #expect(bytes[6] == 2 && bytes[7] == 0)
        let headerLength = bytes[8..<12].reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect(headerLength > 65535)
        #expect((12 + headerLength) % 64 == 0)
        let read = try NPY.read(scratch.path("wide.npy"))
        #expect(read.shape == shape && read.values == [2.5])
    }

    @Test("files written by NumPy read with exact values; float64 is rounded to float32")
    func readsNumPyFiles() throws {
        let scratch = try Scratch()
        func read(_ name: String) throws -> (values: [Float], shape: [Int]) {
            try NPY.read(scratch.put(Self.fixture(name), "\(name).npy"))
        }
        let float32 = try read("float32_2x3")
        #expect(float32.shape == [2, 3])
        #expect(float32.values == [1.5, -2.25, 3, 0.1, 1e-3, -7e20].map { Float($0 as Double) })
        let float64 = try read("float64_4")
        #expect(float64.shape == [4])
        #expect(float64.values == [0.1, -1.0 / 3, 1e-5, 123456.789].map { Float($0 as Double) })
        let version2 = try read("version2")
        #expect(version2.shape == [3] && version2.values == [1, 2, 3])
        let version3 = try read("version3")
        #expect(version3.shape == [2] && version3.values == [4, 5])
        let scalar = try read("scalar")
        #expect(scalar.shape == [] && scalar.values == [3.25])
        let empty = try read("empty_2x0")
        #expect(empty.shape == [2, 0] && empty.values == [])
    }

    @Test("headers NumPy also accepts: any key order, double quotes, '=' byte order, spacing, trailing commas")
    func handWrittenHeaders() throws {
        let scratch = try Scratch()
        let one = Array(Float(1).bitPattern.littleEndian.bytes)
        let files: [(header: String, data: [UInt8], shape: [Int])] = [
            ("{'shape': (1,), 'fortran_order': False, 'descr': '<f4'}", one, [1]),
            ("{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (1, 1)}\n", one, [1, 1]),
            ("{'descr': '=f4', 'fortran_order': False, 'shape': (1,),}", one, [1]),
            ("{ 'descr' : '<f8' ,\t'fortran_order' : False , 'shape' : ( 1 , ) , }  \n",
             Array(Double(1).bitPattern.littleEndian.bytes), [1]),
        ]
        for file in files {
            let read = try NPY.read(scratch.put(Self.npy(header: file.header, data: file.data), "hand.npy"))
            #expect(read.shape == file.shape && read.values == [1], "\(file.header)")
        }
    }

    @Test("tensors go to and from files on every backend", arguments: TestBackend.allCases)
    func tensors(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let scratch = try Scratch()
        for shape in [[4, 6], [0, 3]] {
            let values = randomValues(shape.reduce(1, *), seed: 61)
            try NPY.write(Tensor(values, shape: shape, on: device), to: scratch.path("tensor.npy"))
            let tensor = try NPY.readTensor(scratch.path("tensor.npy"), on: device)
            #expect(tensor.shape == shape && tensor.device === device)
            #expect(try tensor.toArray() == values)
        }
    }

    @Test("int64 arrays are written as '<i8' with NumPy's header")
    func int64() throws {
        let scratch = try Scratch(), path = scratch.path("labels.npy")
        try NPY.write(int64: [-1, 2, .max], shape: [3], to: path)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes.count == 128 + 24)
        #expect(String(decoding: bytes[10..<128], as: UTF8.self).hasPrefix("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }"))
        #expect(Array(bytes.suffix(24)) == [255, 255, 255, 255, 255, 255, 255, 255, 2, 0, 0, 0, 0, 0, 0, 0,
                                             255, 255, 255, 255, 255, 255, 255, 127])
    }

    @Test("writing replaces an existing file whole and leaves no temporary file")
    func replaces() throws {
        let scratch = try Scratch()
        try NPY.write([1, 2, 3], shape: [3], to: scratch.path("a.npy"))
        try NPY.write([4], shape: [], to: scratch.path("a.npy"))
        let read = try NPY.read(scratch.path("a.npy"))
        #expect(read.shape == [] && read.values == [4])
        #expect(try scratch.files() == ["a.npy"])
    }

    @Test("NumPy files of another dtype, byte order or layout are one clear error")
    func unsupportedNumPyFiles() throws {
        let scratch = try Scratch()
        let cases = [
            ("int64", "dtype '<i8' is not supported; expected little-endian float32 '<f4' or float64 '<f8'"),
            ("bigendian", "dtype '>f4' is not supported; expected little-endian float32 '<f4' or float64 '<f8'"),
            ("fortran", "fortran_order is True (column-major data), which is not supported; expected False (C order)"),
        ]
        for (name, message) in cases {
            let path = try scratch.put(Self.fixture(name), "\(name).npy")
            expectError(.invalidArgument("\(path): \(message)")) { _ = try NPY.read(path) }
        }
    }

    @Test("missing, foreign and damaged files are one clear error")
    func damagedFiles() throws {
        let scratch = try Scratch()
        let valid = Self.fixture("float32_2x3")
        let magic = Array(valid.prefix(6))
        let missing = scratch.path("missing.npy")
        expectError(.invalidArgument("\(missing): cannot open the file: No such file or directory")) {
            _ = try NPY.read(missing)
        }
        expectError(.invalidArgument("\(scratch.directory): cannot read the file: Is a directory")) {
            _ = try NPY.read(scratch.directory)
        }
        let badMagic = "not a .npy file: expected the magic string '\\x93NUMPY', found "
        let cases: [([UInt8], String)] = [
            ([], badMagic + "''"),
            (Array("PK\u{3}\u{4} zip".utf8), badMagic + "'PK\\x03\\x04 z'"),
            (magic + [1], "the file ends after 7 bytes, inside the .npy preamble"),
            (magic + [2, 0, 0x80, 0], "the file ends after 10 bytes, inside the .npy preamble"),
            (magic + [4, 0] + valid[8...], "format version 4.0 is not supported; expected 1.0, 2.0 or 3.0"),
            (magic + [2, 0, 0xff, 0xff, 0xff, 0xff, 0x7b],
             "the header length is 4294967295 bytes, more than the 1 left in the file"),
            (Array(valid.dropLast(4)), "the data is truncated: shape [2, 3] of '<f4' needs 24 bytes, found 20"),
            (valid + [0],
             "the data is 25 bytes but shape [2, 3] of '<f4' needs exactly 24; trailing bytes are not allowed"),
        ]
        for (bytes, message) in cases {
            let path = try scratch.put(bytes, "damaged.npy")
            expectError(.invalidArgument("\(path): \(message)")) { _ = try NPY.read(path) }
        }
    }

    @Test("a header that is not the expected dict literal is one clear error")
    func badHeaders() throws {
        let scratch = try Scratch()
        let start = "{'descr': '<f4', 'fortran_order': False, 'shape': "
        let cases = [
            ("[1]", "the header is not a valid dict literal: expected '{' at character 0, found \"[1]\""),
            ("{descr: '<f4'}",
             "the header is not a valid dict literal: expected a quoted key at character 1, found \"descr: '<f4'\""),
            ("{'descr': '<f4", "the header has a string at character 10 that is unterminated or uses escapes"),
            ("{'descr': '<\\x66\\x34'}",
             "the header has a string at character 10 that is unterminated or uses escapes"),
            ("{'descr': 4}", "the header is not a valid dict literal: expected a quoted dtype such as '<f4' "
             + "at character 10, found \"4}\""),
            ("{'descr': '<f4', 'fortran_order': 0, 'shape': ()}", "the header is not a valid dict literal: "
             + "expected True or False for 'fortran_order' at character 34, found \"0, 'shape': \""),
            (start + "(2, 3)", "the header is not a valid dict literal: expected '}' at character \(start.count + 6), "
             + "found the end of the header"),
            (start + "(2, 3)} x", "the header is not a valid dict literal: expected only whitespace after '}' "
             + "at character \(start.count + 8), found \"x\""),
            (start + "(2 3)}", "the header is not a valid dict literal: expected ')' at character \(start.count + 3), "
             + "found \"3)}\""),
            (start + "(,)}", "the header is not a valid dict literal: expected a dimension (a non-negative int) in "
             + "'shape' at character \(start.count + 1), found \",)}\""),
            (start + "(3)}", "'shape' is (3), which is an int, not a tuple; expected a trailing comma: (3,)"),
            (start + "(2, -1)}", "'shape' has a negative dimension at character \(start.count + 4)"),
            (start + "(99999999999999999999,)}", "'shape' has the dimension 99999999999999999999, which is too large"),
            (start + "(4294967296, 4294967296)}", "shape [4294967296, 4294967296] has more elements than this machine "
             + "can address"),
            (start + "(2305843009213693952,)}", "shape [2305843009213693952] has more elements than this machine "
             + "can address"),
            (start + "(1152921504606846976,)}", "the data is truncated: shape [1152921504606846976] of '<f4' needs "
             + "4611686018427387904 bytes, found 0"),
            (start + "(2,), 'extra': 1}",
             "the header has an unexpected key 'extra'; expected only 'descr', 'fortran_order' and 'shape'"),
            (start + "(2,), 'shape': (2,)}", "the header repeats the key 'shape'"),
            ("{'descr': '<f4', 'shape': (2,)}", "the header has no 'fortran_order' key"),
            ("{}", "the header has no 'descr' key"),
            ("{'descr': '|f4', 'fortran_order': False, 'shape': (2,)}",
             "dtype '|f4' is not supported; expected little-endian float32 '<f4' or float64 '<f8'"),
        ]
        for (header, message) in cases {
            let path = try scratch.put(Self.npy(header: header, data: []), "header.npy")
            expectError(.invalidArgument("\(path): \(message)")) { _ = try NPY.read(path) }
        }
    }

    @Test("every truncation and every single-byte change of a header is a value or one error, never a crash")
    func hostileBytes() throws {
        let scratch = try Scratch()
        let valid = Self.fixture("float32_2x3")
        for length in 0..<valid.count {
            #expect(throws: SimileError.self) { try NPY.read(scratch.put(Array(valid.prefix(length)), "cut.npy")) }
        }
        for position in 0..<128 {
            for byte: UInt8 in [0x00, 0x20, 0x27, 0x28, 0x29, 0x2c, 0x2d, 0x30, 0x39, 0x7b, 0x7d, 0xff] {
                var bytes = valid
                bytes[position] = byte
                do {
                    _ = try NPY.read(scratch.put(bytes, "changed.npy"))
                } catch is SimileError {
                    // One clear error is as right an answer as a value.
                } catch {
                    Issue.record("byte \(position) set to \(byte): unexpected error \(error)")
                }
            }
        }
    }

    @Test("values that do not fill the shape, and unwritable paths, are one clear error")
    func badWrites() throws {
        let scratch = try Scratch()
        expectError(.shapeMismatch(op: "NPY.write", detail: "3 values do not fill shape [2, 2]")) {
            try NPY.write([1, 2, 3], shape: [2, 2], to: scratch.path("a.npy"))
        }
        expectError(.shapeMismatch(op: "NPY.write", detail: "0 values do not fill shape [2, -1]")) {
            try NPY.write([], shape: [2, -1], to: scratch.path("a.npy"))
        }
        expectError(.shapeMismatch(op: "NPY.write", detail: "0 values do not fill shape [\(Int.max), 2, 3]")) {
            try NPY.write([], shape: [Int.max, 2, 3], to: scratch.path("a.npy"))
        }
        let nowhere = scratch.path("missing/a.npy")
        let noDirectory = "cannot create a temporary file next to it: No such file or directory"
        expectError(.invalidArgument("\(nowhere): \(noDirectory)")) { try NPY.write([1], shape: [1], to: nowhere) }
        let directory = scratch.path("taken.npy")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        let isDirectory = "cannot write over a directory; expected a regular file or a new path"
        expectError(.invalidArgument("\(directory): \(isDirectory)")) { try NPY.write([1], shape: [1], to: directory) }
        #expect(try scratch.files() == ["taken.npy"], "a failed write left a file behind")
    }

    @Test("float64 values too large for float32 are an error naming the element; NaN and infinities pass")
    func float64Overflow() throws {
        let scratch = try Scratch()
        let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"
        let largest = Double(Float.greatestFiniteMagnitude)
        let kept: [Double] = [.infinity, -.infinity, .nan, largest, -largest, 1e-300]
        let read = try NPY.read(scratch.put(Self.npy(header: header, data: Self.float64Bytes(kept)), "kept.npy"))
        #expect(read.values[0] == .infinity && read.values[1] == -.infinity && read.values[2].isNaN)
        #expect(read.values[3...] == [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0])

        let path = try scratch.put(Self.npy(header: header, data: Self.float64Bytes([0, 1, 2, 3, 4, 1e300])), "big.npy")
        expectError(.invalidArgument("\(path): element [1, 2] (1e+300) overflows float32 "
                                     + "(largest finite ±3.4028235e+38)")) { _ = try NPY.read(path) }
        let scalar = "{'descr': '<f8', 'fortran_order': False, 'shape': (), }"
        let scalarPath = try scratch.put(Self.npy(header: scalar, data: Self.float64Bytes([-1e39])), "scalar.npy")
        expectError(.invalidArgument("\(scalarPath): the scalar (-1e+39) overflows float32 "
                                     + "(largest finite ±3.4028235e+38)")) { _ = try NPY.read(scalarPath) }
    }

    @Test("bytes in memory parse exactly as the same file does")
    func parsesMemory() throws {
        let scratch = try Scratch()
        for name in ["float32_2x3", "float64_4", "version2", "version3", "scalar", "empty_2x0"] {
            let parsed = try NPY.parse(Self.fixture(name), name: name)
            let read = try NPY.read(scratch.put(Self.fixture(name), "\(name).npy"))
            #expect(parsed.shape == read.shape && parsed.values == read.values, "\(name)")
        }
        expectError(.invalidArgument("memory: the data is truncated: shape [2, 3] of '<f4' needs 24 bytes, found 20")) {
            _ = try NPY.parse(Array(Self.fixture("float32_2x3").dropLast(4)), name: "memory")
        }
    }

    @Test("pipes and devices are read no further than the header declares: the same values or one clear error")
    func streams() throws {
        let valid = Self.fixture("float32_2x3")
        let read = try readThroughPipe(valid, NPY.read)
        #expect(read.shape == [2, 3] && read.values == [1.5, -2.25, 3, 0.1, 1e-3, -7e20].map { Float($0 as Double) })

        let magic = Array(valid.prefix(6))
        let start = "{'descr': '<f4', 'fortran_order': False, 'shape': "
        let cases: [([UInt8], String)] = [
            (Array(valid.dropLast(4)), "the data is truncated: shape [2, 3] of '<f4' needs 24 bytes, found 20"),
            (valid + [0], "the data runs on past the 24 bytes that shape [2, 3] of '<f4' needs; "
             + "trailing bytes are not allowed"),
            (magic + [2, 0, 0xff, 0xff, 0xff, 0xff, 0x7b],
             "the header length is 4294967295 bytes, more than the 1048576 this reader accepts"),
            (magic + [1, 0, 0xff, 0xff, 0x7b], "the header length is 65535 bytes, more than the 1 left in the file"),
        ]
        for (bytes, message) in cases {
            expectError(.invalidArgument("/dev/fd/N: \(message)")) { _ = try readThroughPipe(bytes, NPY.read) }
        }
        expectError(.outOfMemory("/dev/fd/N: shape [1099511627776] as float32 needs 4398046511104 bytes; "
                                 + MemoryLimit.host.reason)) {
            _ = try readThroughPipe(Self.npy(header: start + "(1099511627776,)}", data: []), NPY.read)
        }
        expectError(.invalidArgument("/dev/zero: not a .npy file: expected the magic string '\\x93NUMPY', "
                                     + "found '\\x00\\x00\\x00\\x00\\x00\\x00'")) {
            _ = try NPY.read("/dev/zero")
        }
    }

    @Test("a header longer than the reader accepts is one clear error, even when the file holds it")
    func headerLimit() throws {
        let length = NPY.maxHeaderLength + 1
        let bytes = NPY.magic + [2, 0] + UInt32(length).littleEndian.bytes + [UInt8](repeating: 0x20, count: length)
        expectError(.invalidArgument("long: the header length is 1048577 bytes, more than the 1048576 this reader "
                                     + "accepts")) { _ = try NPY.parse(bytes, name: "long") }
    }

    /// Little-endian float64 bytes.
    static func float64Bytes(_ values: [Double]) -> [UInt8] { values.flatMap { $0.bitPattern.littleEndian.bytes } }

    /// The bytes of a NumPy file from `numpyFiles`.
    static func fixture(_ name: String) -> [UInt8] {
        let hex = Array(numpyFiles[name]!.filter(\.isHexDigit))
        return stride(from: 0, to: hex.count, by: 2).map { UInt8(String(hex[$0...$0 + 1]), radix: 16)! }
    }

    /// A version 1.0 file with `header` as is (no padding) followed by `data`.
    static func npy(header: String, data: [UInt8]) -> [UInt8] {
        NPY.magic + [1, 0] + UInt16(header.utf8.count).littleEndian.bytes + Array(header.utf8) + data
    }
}

private extension FixedWidthInteger {
    /// The integer's bytes in memory order.
    var bytes: [UInt8] { withUnsafeBytes(of: self) { Array($0) } }
}
