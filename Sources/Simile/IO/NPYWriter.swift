import Foundation

extension NPY {
    /// Writes float32 little-endian '<f4', C order, version 1.0 header (2.0 only if the header would exceed
    /// 65535 bytes), padded with spaces and a final '\n' so the data starts at a multiple of 64 bytes, as NumPy
    /// does. Written atomically: a temp file in the same directory, then rename(2), so a reader sees the old
    /// file or the new one, never half of one.
    public static func write(_ values: [Float], shape: [Int], to path: String) throws {
        try write(values.map(\.bitPattern), descr: "<f4", shape: shape, to: path)
    }

    /// Writes int64 little-endian '<i8' (labels, indices) as `write(_:shape:to:)` writes float32.
    public static func write(int64 values: [Int64], shape: [Int], to path: String) throws {
        try write(values, descr: "<i8", shape: shape, to: path)
    }

    /// The file of `values`, each stored as its little-endian bytes under the NumPy type `descr`.
    private static func write<Word: FixedWidthInteger>(_ values: [Word], descr: String, shape: [Int],
                                                       to path: String) throws {
        guard elementCount(shape) == values.count else {
            throw SimileError.shapeMismatch(op: "NPY.write",
                                            detail: "\(values.count) values do not fill shape \(shape)")
        }
        var bytes = header(descr: descr, shape: shape)
        bytes.reserveCapacity(bytes.count + values.count * MemoryLayout<Word>.size)
        for value in values {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        try writeFileAtomically(bytes, to: path)
    }

    /// The preamble and header NumPy writes for a C-order array of `descr` and `shape`, byte for byte.
    private static func header(descr: String, shape: [Int]) -> [UInt8] {
        let tuple = shape.count == 1 ? "(\(shape[0]),)" : "(\(shape.map(String.init).joined(separator: ", ")))"
        var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(tuple), }"
        // NumPy leaves room for the first dimension to grow to 21 digits, so that appending rows can
        // rewrite the header in place.
        if let first = shape.first {
            dict += String(repeating: " ", count: max(0, 21 - String(first).count))
        }
        // The header is padded with 1 to 64 spaces (never 0, as in NumPy) and '\n' to end at a multiple of 64.
        func paddedLength(lengthSize: Int) -> Int {
            let unpadded = magic.count + 2 + lengthSize + dict.utf8.count + 1
            return (unpadded / 64 + 1) * 64 - (magic.count + 2 + lengthSize)
        }
        let version: UInt8 = paddedLength(lengthSize: 2) <= Int(UInt16.max) ? 1 : 2
        let lengthSize = version == 1 ? 2 : 4
        let headerLength = paddedLength(lengthSize: lengthSize)
        let padded = dict + String(repeating: " ", count: headerLength - dict.utf8.count - 1) + "\n"
        let lengthBytes = (0..<lengthSize).map { UInt8(truncatingIfNeeded: headerLength >> (8 * $0)) }
        return magic + [version, 0] + lengthBytes + Array(padded.utf8)
    }
}
