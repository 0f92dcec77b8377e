import Foundation
import Testing
@testable import Simile

@Suite struct SafetensorsTests {
    /// A safetensors file with the header text `json` (padded as writers do) and `data`.
    static func file(_ json: String, _ data: [UInt8] = []) -> [UInt8] {
        var header = Array(json.utf8)
        header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
        return withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header + data
    }

    /// The committed fuzz corpus, some of it written by the Python `safetensors` package.
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/corpus/safetensors").path

    static func parseError(_ bytes: [UInt8]) -> String {
        do {
            _ = try Safetensors.parse(bytes, name: "t")
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test("F32 and I64 tensors and metadata round-trip, in the order written")
    func roundTrip() throws {
        let scratch = try Scratch()
        let tensors = [
            SafetensorsTensor(name: "layer1.0.conv1.weight", shape: [2, 1, 3], data: .float32([1, -2, 0.5, .infinity, 0, -0])),
            SafetensorsTensor(name: "bn1.num_batches_tracked", shape: [], data: .int64([Int64.min])),
            SafetensorsTensor(name: "empty", shape: [0, 4], data: .float32([])),
            SafetensorsTensor(name: "a \"quoted\"\nname", shape: [2], data: .int64([-1, Int64.max])),
        ]
        let metadata = ["format": "pt", "note": "ünïcode \"and\" \\ \u{1}"]
        try Safetensors.write(tensors, metadata: metadata, to: scratch.path("m.safetensors"))
        let (read, readMetadata) = try Safetensors.read(scratch.path("m.safetensors"))
        #expect(read == tensors)
        #expect(readMetadata == metadata)
    }

    @Test("tensors on every backend go to a file and back", arguments: TestBackend.allCases)
    func deviceTensors(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let scratch = try Scratch()
        let weight = try Tensor(randomValues(24, seed: 3), shape: [2, 3, 4], on: device)
        let bias = try Tensor([0.25, -1], shape: [2], on: device)
        try Safetensors.write(state: [("conv.weight", .tensor(weight)), ("conv.bias", .tensor(bias))],
                              to: scratch.path("s.safetensors"))
        let (read, metadata) = try Safetensors.read(scratch.path("s.safetensors"))
        #expect(read.map(\.name) == ["conv.weight", "conv.bias"])
        #expect(metadata.isEmpty)
        let back = try read[0].tensor(on: device)
        #expect(back.shape == [2, 3, 4] && back.device.identifier == device.identifier)
        #expect(try back.toArray() == weight.toArray())
        #expect(try read[1].tensor(on: device).toArray() == [0.25, -1])
    }

    @Test("an I64 entry is not a float tensor")
    func intToTensor() {
        let count = SafetensorsTensor(name: "n", shape: [], data: .int64([3]))
        expectError(.invalidArgument("safetensors tensor 'n' is I64, not a float tensor")) {
            _ = try count.tensor(on: .cpu)
        }
    }

    @Test("the header is padded with spaces to a multiple of 8 bytes")
    func padding() throws {
        for length in 1...9 {
            let tensor = SafetensorsTensor(name: String(repeating: "x", count: length), shape: [1], data: .float32([2]))
            let bytes = try Safetensors.encode([tensor], metadata: [:])
            let headerLength = bytes[..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
            #expect(headerLength % 8 == 0)
            #expect(bytes.count == 8 + headerLength + 4)
            #expect(bytes[8 + Array(bytes[8..<8 + headerLength]).lastIndex(of: UInt8(ascii: "}"))! + 1 ..< 8 + headerLength]
                .allSatisfy { $0 == 0x20 })
        }
    }

    @Test("F16 is widened exactly: normal, largest, subnormal, zero, infinities and NaN")
    func float16() throws {
        let bits: [UInt16] = [0x3c00, 0xc100, 0x7bff, 0x0001, 0x03ff, 0x8000, 0x7c00, 0xfc00, 0x7e00]
        let data = bits.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
        let (tensors, _) = try Safetensors.parse(
            Self.file(#"{"h":{"dtype":"F16","shape":[9],"data_offsets":[0,18]}}"#, data), name: "t")
        guard case let .float32(values) = tensors[0].data else { Issue.record("not float32"); return }
        let expected: [Float] = [1, -2.5, 65504, 0x1p-24, 0x3ffp-24, -0, .infinity, -.infinity]
        #expect(Array(values.prefix(8)) == expected)
        #expect(values[5].sign == .minus && values[8].isNaN)
        #expect(tensors[0].dtype == .F16)
    }

    @Test("BF16 is widened exactly: normal, subnormal, infinities and NaN")
    func bfloat16() throws {
        let bits: [UInt16] = [0x3f80, 0xc020, 0x7f7f, 0x0001, 0x7f80, 0xff80, 0x7fc0]
        let data = bits.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
        let (tensors, _) = try Safetensors.parse(
            Self.file(#"{"b":{"dtype":"BF16","shape":[7],"data_offsets":[0,14]}}"#, data), name: "t")
        guard case let .float32(values) = tensors[0].data else { Issue.record("not float32"); return }
        let expected: [Float] = [1, -2.5, Float(bitPattern: 0x7f7f_0000), 0x1p-133, .infinity, -.infinity]
        #expect(Array(values.prefix(6)) == expected)
        #expect(values[6].isNaN)
    }

    @Test("files written by the Python safetensors package are read as written")
    func pythonFiles() throws {
        let f32 = try Safetensors.read("\(Self.corpus)/f32_2x3.safetensors")
        #expect(f32.tensors == [SafetensorsTensor(name: "weight", shape: [2, 3], data: .float32([0, 0.25, 0.5, 0.75, 1, 1.25]))])
        let scalar = try Safetensors.read("\(Self.corpus)/i64_scalar.safetensors")
        #expect(scalar.tensors == [SafetensorsTensor(name: "num_batches_tracked", shape: [], data: .int64([7]))])
        let half = try Safetensors.read("\(Self.corpus)/f16.safetensors").tensors[0]
        guard case let .float32(values) = half.data else { Issue.record("not float32"); return }
        #expect(Array(values.prefix(6)) == [1, -2.5, 65504, 0x1p-24, .infinity, -.infinity])
        #expect(values[6].isNaN && values[7] == 0)
        let withMetadata = try Safetensors.read("\(Self.corpus)/metadata.safetensors")
        #expect(withMetadata.metadata == ["format": "pt", "epoch": "3"])
        #expect(withMetadata.tensors.map(\.name) == ["b", "a"])
        #expect(withMetadata.tensors[0].data == .int64([1, 2, 3]))
        let empty = try Safetensors.read("\(Self.corpus)/empty.safetensors")
        #expect(empty.tensors.map(\.shape) == [[0], [1]])
    }

    @Test("the writer refuses duplicate and reserved names and data that does not fill its shape")
    func writerErrors() throws {
        let scratch = try Scratch()
        let path = scratch.path("w.safetensors")
        let one = SafetensorsTensor(name: "a", shape: [1], data: .float32([1]))
        expectError(.invalidArgument("Safetensors.write: the tensor name 'a' is used twice or is the reserved "
                                     + "'__metadata__'")) { try Safetensors.write([one, one], to: path) }
        let reserved = SafetensorsTensor(name: "__metadata__", shape: [1], data: .float32([1]))
        expectError(.invalidArgument("Safetensors.write: the tensor name '__metadata__' is used twice or is the "
                                     + "reserved '__metadata__'")) { try Safetensors.write([reserved], to: path) }
        let short = SafetensorsTensor(name: "s", shape: [2, 2], data: .int64([1]))
        expectError(.shapeMismatch(op: "Safetensors.write", detail: "1 values do not fill shape [2, 2] of 's'")) {
            try Safetensors.write([short], to: path)
        }
        #expect(try scratch.files().isEmpty)
    }

    @Test("a missing file is one error naming it")
    func missingFile() {
        #expect(throws: SimileError.self) { try Safetensors.read("/nonexistent/x.safetensors") }
    }
}
