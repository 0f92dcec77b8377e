import Foundation

/// IDX files of unsigned bytes, the format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/),
/// as distributed: gzip-compressed (`.gz`) or not.
///
///     0x00 0x00     magic
///     type          1 byte: 0x08 unsigned byte (the only type MNIST uses; 0x09 signed byte, 0x0B int16,
///                   0x0C int32, 0x0D float32 and 0x0E float64 are refused)
///     n             1 byte: the number of dimensions
///     dimensions    n big-endian UInt32 sizes
///     data          the product of the sizes in bytes, row-major, and nothing after it
enum IDX {
    /// Reads the IDX file at `path`, inflating it when the name ends in `.gz`.
    static func read(_ path: String) throws -> (dimensions: [Int], values: [UInt8]) {
        let descriptor = try openForReading(path)
        defer { close(descriptor) }
        let file = try FileByteSource(descriptor: descriptor, path: path)
        return try path.hasSuffix(".gz") ? decodeGzip(file, name: path) : decode(file, name: path)
    }

    /// Parses IDX bytes held in memory, gzipped or not, exactly as `read` parses a file; errors start with `name`.
    static func parse(_ bytes: [UInt8], gzipped: Bool, name: String) throws -> (dimensions: [Int], values: [UInt8]) {
        let source = MemoryByteSource(bytes: bytes)
        return try gzipped ? decodeGzip(source, name: name) : decode(source, name: name)
    }

    private static func decodeGzip<Source: ByteSource>(_ compressed: Source, name: String) throws
        -> (dimensions: [Int], values: [UInt8]) {
        try decode(GzipByteSource(compressed, name: name), name: name)
    }

    /// Decodes an IDX file from `source`: the header, then exactly the data it declares, in chunks, so that the
    /// memory taken grows only with the data actually found (a gzip stream's length is unknown until inflated).
    private static func decode<Source: ByteSource>(_ source: Source, name: String) throws
        -> (dimensions: [Int], values: [UInt8]) {
        var source = source
        func failure(_ sentence: String) -> SimileError { .invalidArgument("\(name): \(sentence)") }
        let start = try source.read(upTo: 4)
        guard start.count == 4 else { throw failure("the file ends after \(start.count) bytes, inside the IDX header") }
        guard start[0] == 0, start[1] == 0 else {
            throw failure("not an IDX file: expected the magic bytes 00 00, found "
                          + String(format: "%02x %02x", start[0], start[1]))
        }
        guard start[2] == 0x08 else {
            throw failure(String(format: "IDX type 0x%02x is not supported; expected 0x08 (unsigned bytes)", start[2]))
        }
        let sizes = try source.read(upTo: 4 * Int(start[3]))
        guard sizes.count == 4 * Int(start[3]) else {
            throw failure("the file ends after \(4 + sizes.count) bytes, inside the IDX header of \(start[3]) "
                          + "dimensions")
        }
        let dimensions = stride(from: 0, to: sizes.count, by: 4).map { start in
            sizes[start..<start + 4].reduce(0) { $0 << 8 | Int($1) }
        }
        guard let count = try? CheckedSize.elements(dimensions) else {
            throw failure("dimensions \(dimensions) hold more bytes than this machine can address")
        }
        func truncated(found: Int) -> SimileError {
            failure("the data is truncated: dimensions \(dimensions) need \(count) bytes, found \(found)")
        }
        if let found = source.remaining {
            guard found >= count else { throw truncated(found: found) }
        }
        try MemoryLimit.host.check(count, for: "\(name): IDX data of dimensions \(dimensions)")

        var values: [UInt8] = []
        if source.remaining != nil { values.reserveCapacity(count) }
        while values.count < count {
            let chunk = try source.read(upTo: min(count - values.count, 1 << 20))
            guard !chunk.isEmpty else { throw truncated(found: values.count) }
            values += chunk
        }
        guard try source.read(upTo: 1).isEmpty else {
            throw failure("the data runs on past the \(count) bytes that dimensions \(dimensions) need; "
                          + "trailing bytes are not allowed")
        }
        return (dimensions, values)
    }
}
