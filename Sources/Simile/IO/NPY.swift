import Foundation

/// A NumPy .npy array held as float32 (float64 files are converted), C order.
///
/// The format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html) is a preamble,
/// a header and the raw elements:
///
///     \x93NUMPY             magic string, 6 bytes
///     major, minor          format version, 1 byte each
///     header length         little-endian UInt16 (version 1.0) or UInt32 (2.0 and 3.0)
///     header                a Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
///                           padded with spaces and a final '\n' so that the data starts at a multiple of 64 bytes
///     data                  the elements, packed, in the byte order and type that 'descr' names
public enum NPY {
    /// Reads a .npy file: format version 1.0, 2.0 (and 3.0, same as 2.0 but utf8 header), dtype '<f4' or '<f8'
    /// (also '=f4'/'=f8' on little-endian hosts; '|' is not valid for floats), fortran_order False, any shape
    /// including 0-d (a scalar, shape []) and dimensions of 0. Anything else is one `invalidArgument` error
    /// that starts with `path` and names what the file holds.
    public static func read(_ path: String) throws -> (values: [Float], shape: [Int]) {
        let bytes = try readFile(path)
        func failure(_ sentence: String) -> SimileError { .invalidArgument("\(path): \(sentence)") }

        guard bytes.starts(with: magic) else {
            let found = escaped(bytes.prefix(6))
            throw failure("not a .npy file: expected the magic string '\\x93NUMPY', found '\(found)'")
        }
        let truncatedPreamble = failure("the file ends after \(bytes.count) bytes, inside the .npy preamble")
        guard bytes.count >= 8 else { throw truncatedPreamble }
        let lengthSize: Int
        switch (bytes[6], bytes[7]) {
        case (1, 0): lengthSize = 2
        case (2, 0), (3, 0): lengthSize = 4
        case let (major, minor):
            throw failure("format version \(major).\(minor) is not supported; expected 1.0, 2.0 or 3.0")
        }
        let headerStart = 8 + lengthSize
        guard bytes.count >= headerStart else { throw truncatedPreamble }
        let headerLength = bytes[8..<headerStart].reversed().reduce(0) { $0 << 8 | Int($1) }
        guard headerLength <= bytes.count - headerStart else {
            throw failure("the header length is \(headerLength) bytes, more than the \(bytes.count - headerStart) "
                          + "left in the file")
        }
        let dataStart = headerStart + headerLength
        // Only ASCII is meaningful in a header, so the latin1 (1.0, 2.0) and utf8 (3.0) encodings parse alike.
        var parser = HeaderParser(text: Array(bytes[headerStart..<dataStart]), path: path)
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
        let found = bytes.count - dataStart
        guard found >= byteCount else {
            throw failure("the data is truncated: shape \(header.shape) of '\(header.descr)' needs \(byteCount) bytes, "
                          + "found \(found)")
        }
        guard found == byteCount else {
            throw failure("the data is \(found) bytes but shape \(header.shape) of '\(header.descr)' needs exactly "
                          + "\(byteCount); trailing bytes are not allowed")
        }

        let values = bytes.withUnsafeBytes { raw in
            (0..<count).map { index -> Float in
                let offset = dataStart + index * itemSize
                if itemSize == 4 {
                    let bits = raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
                    return Float(bitPattern: UInt32(littleEndian: bits))
                }
                let bits = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                return Float(Double(bitPattern: UInt64(littleEndian: bits)))
            }
        }
        return (values, header.shape)
    }

    /// Reads straight into a tensor on `device`.
    public static func readTensor(_ path: String, on device: Device) throws -> Tensor {
        let (values, shape) = try read(path)
        return try Tensor(values, shape: shape, on: device)
    }

    /// Writes float32 little-endian '<f4', C order, version 1.0 header (2.0 only if the header would exceed
    /// 65535 bytes), padded with spaces and a final '\n' so the data starts at a multiple of 64 bytes, as NumPy
    /// does. Written atomically: a temp file in the same directory, then rename(2), so a reader sees the old
    /// file or the new one, never half of one.
    public static func write(_ values: [Float], shape: [Int], to path: String) throws {
        guard elementCount(shape) == values.count else {
            throw SimileError.shapeMismatch(op: "NPY.write",
                                            detail: "\(values.count) values do not fill shape \(shape)")
        }
        var bytes = header(for: shape)
        bytes.reserveCapacity(bytes.count + values.count * 4)
        for value in values {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        try writeFileAtomically(bytes, to: path)
    }

    /// Writes `tensor` (copied to the host first) as `write(_:shape:to:)` does.
    public static func write(_ tensor: Tensor, to path: String) throws {
        try write(tensor.toArray(), shape: tensor.shape, to: path)
    }

    /// The six bytes every .npy file starts with.
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// Bytes per element of each dtype the reader accepts: little-endian floats, '=' meaning native order.
    private static let itemSizes: [String: Int] = {
        var sizes = ["<f4": 4, "<f8": 8]
        #if _endian(little)
        sizes["=f4"] = 4
        sizes["=f8"] = 8
        #endif
        return sizes
    }()

    /// The number of elements of `shape`, or nil when a dimension is negative or the product overflows.
    private static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            count = product
        }
        return count
    }

    /// The preamble and header NumPy writes for a float32 C-order array of `shape`, byte for byte.
    private static func header(for shape: [Int]) -> [UInt8] {
        let tuple = shape.count == 1 ? "(\(shape[0]),)" : "(\(shape.map(String.init).joined(separator: ", ")))"
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': \(tuple), }"
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

    /// `bytes` with printable ASCII as is and everything else as \xNN, as Python prints bytes.
    fileprivate static func escaped<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        bytes.map { (0x20..<0x7f).contains($0) ? String(UnicodeScalar($0)) : "\\x" + String(format: "%02x", $0) }
            .joined()
    }
}

/// The three entries every .npy header holds.
private struct Header {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]
}

/// A strict parser for the header's Python dict literal: exactly the keys 'descr' (a quoted string),
/// 'fortran_order' (True or False) and 'shape' (a tuple of non-negative ints: `()`, `(3,)`, `(2, 3)`),
/// in any order, with an optional trailing comma and any whitespace between tokens.
private struct HeaderParser {
    let text: [UInt8]
    let path: String
    var position = 0

    mutating func parse() throws -> Header {
        var descr: String?, fortranOrder: Bool?, shape: [Int]?
        try expect("{")
        while !consume("}") {
            let key = try quotedString(what: "a quoted key")
            try expect(":")
            switch key {
            case "descr" where descr == nil: descr = try quotedString(what: "a quoted dtype such as '<f4'")
            case "fortran_order" where fortranOrder == nil: fortranOrder = try bool()
            case "shape" where shape == nil: shape = try tuple()
            case "descr", "fortran_order", "shape": throw failure("the header repeats the key '\(key)'")
            default:
                throw failure("the header has an unexpected key '\(key)'; expected only 'descr', 'fortran_order' "
                              + "and 'shape'")
            }
            if !consume(",") {
                try expect("}")
                break
            }
        }
        skipWhitespace()
        guard position == text.count else { throw syntaxError(expected: "only whitespace after '}'") }
        guard let descr else { throw failure("the header has no 'descr' key") }
        guard let fortranOrder else { throw failure("the header has no 'fortran_order' key") }
        guard let shape else { throw failure("the header has no 'shape' key") }
        return Header(descr: descr, fortranOrder: fortranOrder, shape: shape)
    }

    /// A string in single or double quotes, without escapes (no dtype name or key needs one).
    private mutating func quotedString(what: String) throws -> String {
        skipWhitespace()
        guard let quote = peek, quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else {
            throw syntaxError(expected: what)
        }
        let start = position + 1
        guard let end = text[start...].firstIndex(where: { $0 == quote || $0 == UInt8(ascii: "\\") || $0 == 0x0a }),
              text[end] == quote else {
            throw failure("the header has a string at character \(position) that is unterminated or uses escapes")
        }
        position = end + 1
        return String(decoding: text[start..<end], as: UTF8.self)
    }

    private mutating func bool() throws -> Bool {
        if consume("True") { return true }
        if consume("False") { return false }
        throw syntaxError(expected: "True or False for 'fortran_order'")
    }

    /// A tuple of dimensions. Like Python, `(3)` is an int, not a tuple: one element needs a trailing comma.
    private mutating func tuple() throws -> [Int] {
        try expect("(")
        var dimensions: [Int] = []
        while !consume(")") {
            dimensions.append(try dimension())
            if !consume(",") {
                try expect(")")
                guard dimensions.count != 1 else {
                    throw failure("'shape' is (\(dimensions[0])), which is an int, not a tuple; "
                                  + "expected a trailing comma: (\(dimensions[0]),)")
                }
                break
            }
        }
        return dimensions
    }

    private mutating func dimension() throws -> Int {
        skipWhitespace()
        if peek == UInt8(ascii: "-") { throw failure("'shape' has a negative dimension at character \(position)") }
        let digits = text[position...].prefix(while: { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        guard !digits.isEmpty else { throw syntaxError(expected: "a dimension (a non-negative int) in 'shape'") }
        position += digits.count
        guard let value = Int(String(decoding: digits, as: UTF8.self)) else {
            throw failure("'shape' has the dimension \(String(decoding: digits, as: UTF8.self)), which is too large")
        }
        return value
    }

    private var peek: UInt8? { position < text.count ? text[position] : nil }

    private mutating func skipWhitespace() {
        while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d { position += 1 }
    }

    /// Skips whitespace, then `token` if it comes next; says whether it did.
    private mutating func consume(_ token: String) -> Bool {
        skipWhitespace()
        guard text[position...].starts(with: token.utf8) else { return false }
        position += token.utf8.count
        return true
    }

    private mutating func expect(_ token: String) throws {
        guard consume(token) else { throw syntaxError(expected: "'\(token)'") }
    }

    private func failure(_ sentence: String) -> SimileError { .invalidArgument("\(path): \(sentence)") }

    /// An error naming what was expected at the current position and the text found there.
    private func syntaxError(expected: String) -> SimileError {
        let found = position < text.count
            ? "\"\(NPY.escaped(text[position...].prefix(12)))\""
            : "the end of the header"
        return failure("the header is not a valid dict literal: expected \(expected) at character \(position), "
                       + "found \(found)")
    }
}

/// The whole file at `path`.
private func readFile(_ path: String) throws -> [UInt8] {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw systemError(path, "cannot open the file") }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count == 0 { return bytes }
        if count < 0 {
            if errno == EINTR { continue }
            throw systemError(path, "cannot read the file")
        }
        bytes.append(contentsOf: chunk[..<count])
    }
}
