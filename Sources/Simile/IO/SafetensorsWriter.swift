import Foundation

extension Safetensors {
    /// Writes `tensors` in the order given, with `metadata`, as a safetensors file: F32 for float32 data, I64
    /// for int64, the header padded with spaces to a multiple of 8 bytes so that the data is aligned, as the
    /// reference implementation does. Written atomically (`writeFileAtomically`). A name used twice, the
    /// reserved name `__metadata__`, or data that does not fill its shape is an error, and nothing is written.
    public static func write(_ tensors: [SafetensorsTensor], metadata: [String: String] = [:], to path: String) throws {
        try writeFileAtomically(encode(tensors, metadata: metadata), to: path)
    }

    /// The bytes `write` writes.
    static func encode(_ tensors: [SafetensorsTensor], metadata: [String: String]) throws -> [UInt8] {
        var names = Set<String>()
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
            entries.append("\(jsonString(metadataKey)):{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for tensor in tensors {
            guard tensor.name != metadataKey, names.insert(tensor.name).inserted else {
                throw SimileError.invalidArgument("Safetensors.write: the tensor name '\(tensor.name)' is used twice "
                                                  + "or is the reserved '\(metadataKey)'")
            }
            guard try CheckedSize.elements(tensor.shape) == tensor.data.count else {
                throw SimileError.shapeMismatch(op: "Safetensors.write",
                                                detail: "\(tensor.data.count) values do not fill shape \(tensor.shape) "
                                                + "of '\(tensor.name)'")
            }
            let end = offset + tensor.data.count * (tensor.data.isFloat ? 4 : 8)
            let dtype = tensor.data.isFloat ? "F32" : "I64"
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append("\(jsonString(tensor.name)):{\"dtype\":\"\(dtype)\",\"shape\":[\(shape)],"
                           + "\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
        var bytes = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(header.count) >> (8 * UInt64($0))) } + header
        bytes.reserveCapacity(bytes.count + offset)
        for tensor in tensors {
            switch tensor.data {
            case let .float32(values):
                for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
            case let .int64(values):
                for value in values { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
            }
        }
        return bytes
    }

    /// `text` as a JSON string literal: quotes, backslashes and control characters escaped.
    private static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\u{0}"..<"\u{20}": result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

private extension SafetensorsData {
    var isFloat: Bool { if case .float32 = self { return true } else { return false } }
}
