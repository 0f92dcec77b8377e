import Foundation
import Testing
@testable import Simile

/// Every way a safetensors file can be wrong is one error naming the file and the problem.
@Suite struct SafetensorsValidationTests {
    static let entry = #"{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#
    static let eight = [UInt8](repeating: 0, count: 8)

    static let cases: [(String, [UInt8], String)] = [
        ("short length", [1, 0, 0], "the file ends after 3 bytes, inside the 8-byte header length"),
        ("length beyond the file", [255, 255, 255, 255, 255, 255, 255, 127, 0x7b, 0x7d],
         "the header length is 9223372036854775807 bytes, more than the 2 left in the file"),
        ("not UTF-8", SafetensorsTests.file("{\"\u{e9}\":1}").map { $0 == 0xc3 ? 0xff : $0 },
         "the header is not valid UTF-8"),
        ("not JSON", SafetensorsTests.file("{\"a\":}"), "the header is not valid JSON: expected a JSON value at byte 5"),
        ("trailing comma", SafetensorsTests.file("{\"a\":1,}"),
         "the header is not valid JSON: expected a string key at byte 7"),
        ("not an object", SafetensorsTests.file("[]"), "the header is an array, expected a JSON object"),
        ("duplicate name", SafetensorsTests.file("{\"a\":\(entry),\"a\":\(entry)}", eight),
         "the header is not valid JSON: duplicate key 'a' at byte 54"),
        ("entry not an object", SafetensorsTests.file("{\"a\":3}"),
         "tensor 'a' is a number, expected an object with exactly the fields dtype, shape and data_offsets"),
        ("missing field", SafetensorsTests.file(#"{"a":{"dtype":"F32","shape":[]}}"#),
         #"tensor 'a' has the fields ["dtype", "shape"], expected exactly the fields dtype, shape and data_offsets"#),
        ("extra field", SafetensorsTests.file(#"{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4],"x":1}}"#),
         #"tensor 'a' has the fields ["dtype", "shape", "data_offsets", "x"], expected exactly the fields dtype, "#
         + "shape and data_offsets"),
        ("dtype not a string", SafetensorsTests.file(#"{"a":{"dtype":4,"shape":[],"data_offsets":[0,4]}}"#),
         "tensor 'a': dtype is a number, expected a string"),
        ("unknown dtype", SafetensorsTests.file(#"{"a":{"dtype":"F64","shape":[],"data_offsets":[0,8]}}"#, eight),
         "tensor 'a': dtype 'F64' is not supported; expected one of F32, F16, BF16, I64"),
        ("shape not an array", SafetensorsTests.file(#"{"a":{"dtype":"F32","shape":2,"data_offsets":[0,8]}}"#),
         "tensor 'a': shape is a number, expected an array"),
        ("negative dimension", SafetensorsTests.file(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#),
         "tensor 'a': shape holds -1, expected integers from 0 to 9223372036854775807"),
        ("fractional dimension", SafetensorsTests.file(#"{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#),
         "tensor 'a': shape holds 1.0, expected integers from 0 to 9223372036854775807"),
        ("dimension beyond 64 bits", SafetensorsTests.file(#"{"a":{"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,4]}}"#),
         "tensor 'a': shape holds 9223372036854775808, expected integers from 0 to 9223372036854775807"),
        ("string dimension", SafetensorsTests.file(#"{"a":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}"#),
         "tensor 'a': shape holds a string, expected integers from 0 to 9223372036854775807"),
        ("overflowing shape", SafetensorsTests.file(#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#),
         "tensor 'a': shape [4294967296, 4294967296] has more bytes than this machine can address"),
        ("overflowing bytes", SafetensorsTests.file(#"{"a":{"dtype":"I64","shape":[2305843009213693952],"data_offsets":[0,4]}}"#),
         "tensor 'a': shape [2305843009213693952] has more bytes than this machine can address"),
        ("three offsets", SafetensorsTests.file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}}"#),
         "tensor 'a': data_offsets has 3 numbers, expected 2 [begin, end]"),
        ("end before begin", SafetensorsTests.file(#"{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}"#),
         "tensor 'a': data_offsets [8, 4] ends before it begins"),
        ("wrong byte size", SafetensorsTests.file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, eight),
         "tensor 'a': data_offsets [0, 8] span 8 bytes, but shape [3] of F32 needs 12"),
        ("gap at the start", SafetensorsTests.file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, eight),
         "tensor 'a' starts at byte 4, which leaves a gap after the data before it (ending at byte 0); tensors must "
         + "be contiguous from byte 0"),
        ("overlap", SafetensorsTests.file(#"{"a":\#(entry),"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, eight),
         "tensor 'b' starts at byte 4, which overlaps the data before it (ending at byte 8); tensors must be "
         + "contiguous from byte 0"),
        ("metadata not an object", SafetensorsTests.file(#"{"__metadata__":[]}"#),
         "'__metadata__' is an array, expected an object of strings"),
        ("metadata value not a string", SafetensorsTests.file(#"{"__metadata__":{"epoch":3}}"#),
         "metadata 'epoch' is a number, expected a string"),
        ("truncated data", SafetensorsTests.file("{\"a\":\(entry)}", [0, 0, 0]),
         "the data is truncated: the header declares 8 bytes, found 3"),
        ("trailing data", SafetensorsTests.file("{\"a\":\(entry)}", eight + [0]),
         "the data is 9 bytes but the header declares exactly 8; trailing bytes are not allowed"),
        ("deep nesting", SafetensorsTests.file("{\"__metadata__\":" + String(repeating: "[", count: 100)),
         "the header is not valid JSON: JSON nested more than 64 deep at byte 79"),
    ]

    @Test("each problem is one error naming the file", arguments: cases.indices)
    func invalid(index: Int) {
        let (label, bytes, message) = Self.cases[index]
        #expect(SafetensorsTests.parseError(bytes) == "t: \(message)", "\(label)")
    }

    @Test("the reader accepts any header length, unpadded included, and an empty file of tensors")
    func unpadded() throws {
        let json = Array(#"{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}"#.utf8)
        let bytes = withUnsafeBytes(of: UInt64(json.count).littleEndian, Array.init) + json + [0, 0, 0x80, 0x3f]
        #expect(json.count % 8 != 0)
        #expect(try Safetensors.parse(bytes, name: "t").tensors[0].data == .float32([1]))
        #expect(try Safetensors.parse(SafetensorsTests.file("{}"), name: "t").tensors.isEmpty)
    }

    @Test("pipes are read no further than the header declares: the same tensors or one clear error")
    func streams() throws {
        let valid = SafetensorsTests.file("{\"a\":\(Self.entry)}", [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40])
        #expect(try readThroughPipe(valid, Safetensors.read).tensors[0].data == .float32([1, 2]))
        let cases: [([UInt8], String)] = [
            (Array(valid.dropLast(3)), "the data is truncated: the header declares 8 bytes, found 5"),
            (valid + [0], "the data runs on past the 8 bytes the header declares; trailing bytes are not allowed"),
            ([0, 0, 0, 0, 1, 0, 0, 0, 0x7b], "the header length is 4294967296 bytes, more than the 100000000 this "
             + "reader accepts"),
            ([0xff, 0, 0, 0, 0, 0, 0, 0, 0x7b], "the header length is 255 bytes, more than the 1 left in the file"),
        ]
        for (bytes, message) in cases {
            expectError(.invalidArgument("/dev/fd/N: \(message)")) { _ = try readThroughPipe(bytes, Safetensors.read) }
        }
        let huge = SafetensorsTests.file(#"{"a":{"dtype":"F16","shape":[1099511627776],"data_offsets":[0,2199023255552]}}"#)
        expectError(.outOfMemory("/dev/fd/N: loading the tensors needs 4398046511104 bytes; " + MemoryLimit.host.reason)) {
            _ = try readThroughPipe(huge, Safetensors.read)
        }
    }
}
