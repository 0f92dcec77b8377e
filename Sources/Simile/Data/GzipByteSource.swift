import CZlib

/// The bytes of a gzip file (RFC 1952), inflated by zlib as they are read from `compressed`. Members
/// concatenated one after another (as `cat a.gz b.gz` makes them) read as one stream, as gzip(1) reads them;
/// anything else after a member, a truncated member or a corrupt one is an error starting with `name`.
final class GzipByteSource<Compressed: ByteSource>: ByteSource {
    private var compressed: Compressed
    private let name: String
    /// zlib's stream state points back at the `z_stream`, so it lives at one address, on the heap.
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 1)
    /// True before the first byte of a member has been inflated: where the compressed bytes may end.
    private var betweenMembers = true

    init(_ compressed: Compressed, name: String) throws {
        self.compressed = compressed
        self.name = name
        stream.initialize(to: z_stream())
        // On failure deinit still runs (every property is set) and frees both buffers; inflateEnd ignores a
        // stream whose initialisation failed.
        guard simile_inflate_init_gzip(stream) == Z_OK else {
            throw SimileError.outOfMemory("\(name): zlib could not start inflating")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        input.deallocate()
    }

    /// Unknown until the stream has been inflated.
    var remaining: Int? { nil }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            if stream.pointee.avail_in == 0 {
                let count = try compressed.read(into: input)
                if count == 0 {
                    if betweenMembers { break }
                    throw SimileError.invalidArgument("\(name): the gzip data is truncated")
                }
                stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = uInt(count)
            }
            let space = buffer.count - filled
            stream.pointee.next_out = (buffer.baseAddress! + filled).assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(space)
            let status = inflate(stream, Z_NO_FLUSH)
            filled += space - Int(stream.pointee.avail_out)
            betweenMembers = false
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                inflateReset(stream)
                betweenMembers = true
            default:
                // Z_DATA_ERROR and Z_NEED_DICT (corrupt data), Z_MEM_ERROR; Z_BUF_ERROR cannot happen with input
                // and output space both given, but would end the loop here rather than spin.
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw SimileError.invalidArgument("\(name): not valid gzip data: \(reason)")
            }
        }
        return filled
    }
}
