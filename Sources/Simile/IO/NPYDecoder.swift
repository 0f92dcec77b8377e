import Foundation

extension NPY {
    /// Decodes a .npy file from `source` in three reads: the preamble, exactly the header length it declares,
    /// then exactly the data the header declares. Each length is checked (against what is left when the
    /// source knows it, against `maxHeaderLength` and the machine's memory otherwise) before anything is
    /// allocated for it. Errors start with `name`.
    static func decode<Source: ByteSource>(_ source: inout Source, name: String) throws
        -> (values: [Float], shape: [Int]) {
        func failure(_ sentence: String) -> SimileError { .invalidArgument("\(name): \(sentence)") }
        func truncatedPreamble(_ count: Int) -> SimileError {
            failure("the file ends after \(count) bytes, inside the .npy preamble")
        }

        let preamble = try source.read(upTo: magic.count + 2)
        guard preamble.starts(with: magic) else {
            let found = escaped(preamble.prefix(magic.count))
            throw failure("not a .npy file: expected the magic string '\\x93NUMPY', found '\(found)'")
        }
        guard preamble.count == magic.count + 2 else { throw truncatedPreamble(preamble.count) }
        let lengthSize: Int
        switch (preamble[6], preamble[7]) {
        case (1, 0): lengthSize = 2
        case (2, 0), (3, 0): lengthSize = 4
        case let (major, minor):
            throw failure("format version \(major).\(minor) is not supported; expected 1.0, 2.0 or 3.0")
        }
        let lengthBytes = try source.read(upTo: lengthSize)
        guard lengthBytes.count == lengthSize else { throw truncatedPreamble(preamble.count + lengthBytes.count) }
        let headerLength = lengthBytes.reversed().reduce(0) { $0 << 8 | Int($1) }
        func headerTooLong(left: Int) -> SimileError {
            failure("the header length is \(headerLength) bytes, more than the \(left) left in the file")
        }
        if let left = source.remaining, headerLength > left { throw headerTooLong(left: left) }
        guard headerLength <= maxHeaderLength else {
            throw failure("the header length is \(headerLength) bytes, more than the \(maxHeaderLength) "
                          + "this reader accepts")
        }
        let headerText = try source.read(upTo: headerLength)
        guard headerText.count == headerLength else { throw headerTooLong(left: headerText.count) }
        // Only ASCII is meaningful in a header, so the latin1 (1.0, 2.0) and utf8 (3.0) encodings parse alike.
        var parser = NPYHeaderParser(text: headerText, path: name)
        let header = try parser.parse()

        guard let itemSize = itemSizes[header.descr] else {
            throw failure("dtype '\(header.descr)' is not supported; expected little-endian float32 '<f4' "
                          + "or float64 '<f8'")
        }
        guard !header.fortranOrder else {
            throw failure("fortran_order is True (column-major data), which is not supported; expected False (C order)")
        }
        guard let count = elementCount(header.shape), count <= Int.max / itemSize else {
            throw failure("shape \(header.shape) has more elements than this machine can address")
        }
        let byteCount = count * itemSize
        let needs = "shape \(header.shape) of '\(header.descr)' needs"
        func truncated(found: Int) -> SimileError {
            failure("the data is truncated: \(needs) \(byteCount) bytes, found \(found)")
        }
        if let found = source.remaining {
            guard found >= byteCount else { throw truncated(found: found) }
            guard found == byteCount else {
                throw failure("the data is \(found) bytes but \(needs) exactly \(byteCount); "
                              + "trailing bytes are not allowed")
            }
        }
        try MemoryLimit.host.check(try CheckedSize.floatBytes(count, of: "\(name): shape \(header.shape)"),
                                   for: "\(name): shape \(header.shape) as float32")

        var elements = ElementDecoder(itemSize: itemSize, shape: header.shape, name: name)
        if source.remaining != nil { elements.values.reserveCapacity(count) }
        var chunk = [UInt8](repeating: 0, count: min(byteCount, 1 << 16))
        var found = 0
        while found < byteCount {
            let wanted = min(chunk.count, byteCount - found)
            let got = try chunk.withUnsafeMutableBytes { try source.read(into: .init(rebasing: $0[..<wanted])) }
            found += got
            guard got == wanted else { throw truncated(found: found) }
            try chunk.withUnsafeBytes { try elements.append(.init(rebasing: $0[..<wanted])) }
        }
        guard try source.read(upTo: 1).isEmpty else {
            throw failure("the data runs on past the \(byteCount) bytes that \(needs); trailing bytes are not allowed")
        }
        return (elements.values, header.shape)
    }
}

/// Turns the data's little-endian bytes into float32 values, a chunk of whole elements at a time.
private struct ElementDecoder {
    let itemSize: Int
    let shape: [Int]
    let name: String
    var values: [Float] = []

    mutating func append(_ bytes: UnsafeRawBufferPointer) throws {
        for offset in stride(from: 0, to: bytes.count, by: itemSize) {
            if itemSize == 4 {
                let bits = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
                values.append(Float(bitPattern: UInt32(littleEndian: bits)))
                continue
            }
            let bits = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            let value = Double(bitPattern: UInt64(littleEndian: bits))
            let rounded = Float(value)
            // NaN and infinities stored in the file pass through (the ops reject them with their own
            // errors); only a finite value that float32 cannot hold is the reader's to report.
            guard rounded.isFinite || !value.isFinite else { throw overflow(value) }
            values.append(rounded)
        }
    }

    /// The error for the finite float64 `value` about to become element `values.count`, named by its index.
    private func overflow(_ value: Double) -> SimileError {
        let element = shape.isEmpty ? "the scalar" : "element \(rowMajorIndex(values.count, in: shape))"
        return .invalidArgument("\(name): \(element) (\(value)) overflows float32 (largest finite "
                                + "±\(Float.greatestFiniteMagnitude))")
    }
}
