import Foundation

/// The bytes a dataset's images are read from: a file mapped into memory, so that a file larger than memory
/// (STL-10's unlabelled split is 2.8 GB) costs only the pages that are read, or an array decoded in memory
/// (a gzipped IDX file, an image folder, the embedded digits, fuzzing). As with any mapping, a file that another
/// process truncates while it is mapped makes the next read of a lost page fail with SIGBUS; datasets are not
/// expected to change under a running job.
final class ReadOnlyBytes: @unchecked Sendable {
    private enum Storage {
        case mapped(UnsafeRawBufferPointer)
        case array([UInt8])
    }

    /// The path of a mapped file, or the name the bytes were given; errors start with it.
    let name: String
    private let storage: Storage

    init(_ bytes: [UInt8], name: String) {
        self.name = name
        storage = .array(bytes)
    }

    /// Maps the regular file at `path` read-only. An error names the path and why.
    init(mapping path: String) throws {
        let descriptor = try openForReading(path)
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw systemError(path, "cannot read the file") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SimileError.invalidArgument("\(path): \(fileKind(info.st_mode)), not a regular file")
        }
        name = path
        let size = Int(info.st_size)
        guard size > 0 else {
            storage = .array([])
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let address, address != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw systemError(path, "cannot map the file into memory")
        }
        storage = .mapped(UnsafeRawBufferPointer(start: address, count: size))
    }

    deinit {
        if case let .mapped(bytes) = storage {
            munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        }
    }

    var count: Int {
        switch storage {
        case let .mapped(bytes): return bytes.count
        case let .array(bytes): return bytes.count
        }
    }

    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        switch storage {
        case let .mapped(bytes): return try body(bytes)
        case let .array(bytes): return try bytes.withUnsafeBytes(body)
        }
    }
}
