import Foundation

/// Bytes read in order, from a file or from memory, so that one .npy decoder serves both `NPY.read` and
/// `NPY.parse` and can read a file piece by piece: never more than the header says is there.
protocol ByteSource {
    /// The bytes not yet read when that is known before reading them (memory, a regular file), so that a
    /// length that does not fit is an error before anything is allocated; nil for pipes and devices.
    var remaining: Int? { get }

    /// Fills `buffer` from the next bytes; fewer only when the source ends. Returns how many it read.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

extension ByteSource {
    /// The next `count` bytes, or fewer when the source ends first.
    mutating func read(upTo count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let found = try bytes.withUnsafeMutableBytes { try read(into: $0) }
        bytes.removeLast(count - found)
        return bytes
    }
}

/// An array in memory.
struct MemoryByteSource: ByteSource {
    let bytes: [UInt8]
    var position = 0

    var remaining: Int? { bytes.count - position }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, bytes.count - position)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[position..<position + count]))
        }
        position += count
        return count
    }
}

/// An open file descriptor, read with read(2). The caller opens and closes it.
struct FileByteSource: ByteSource {
    let descriptor: Int32
    /// The path, for errors.
    let path: String
    /// The file's size from fstat when it is a regular file, else nil. Files in /proc and /sys report a size
    /// of 0 whatever they hold, so 0 counts as unknown too.
    let size: Int?
    var consumed = 0

    init(descriptor: Int32, path: String) throws {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw systemError(path, "cannot read the file") }
        self.descriptor = descriptor
        self.path = path
        size = (info.st_mode & S_IFMT) == S_IFREG && info.st_size > 0 ? Int(info.st_size) : nil
    }

    var remaining: Int? { size.map { max(0, $0 - consumed) } }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = Glibc.read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw systemError(path, "cannot read the file")
            }
            filled += count
        }
        consumed += filled
        return filled
    }
}
