import Foundation

/// Released memory blocks kept by size so that a training step's allocations are served without
/// asking the allocator again (host `malloc` of large blocks maps fresh pages; OpenCL drivers are slow
/// to create buffers). Thread-safe. `Block` is a raw pointer or a driver handle.
final class SizeBucketedCache<Block>: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [Int: [Block]] = [:]
    private var cachedBytes = 0

    /// Bytes a request of `requested` bytes is served with: 256-byte granules, so near-equal sizes share a bucket.
    static func bucket(_ requested: Int) throws -> Int { max(256, try CheckedSize.roundedUp(requested, to: 256)) }

    /// A cached block of exactly `bytes` (a bucket size), if one was released.
    func take(_ bytes: Int) -> Block? {
        lock.lock()
        defer { lock.unlock() }
        guard let block = free[bytes]?.popLast() else { return nil }
        cachedBytes -= bytes
        return block
    }

    func put(_ block: Block, bytes: Int) {
        lock.lock()
        free[bytes, default: []].append(block)
        cachedBytes += bytes
        lock.unlock()
    }

    /// Empties the cache and returns its blocks, for the caller to free.
    func drain() -> [Block] {
        lock.lock()
        defer { lock.unlock() }
        let all = free.values.flatMap { $0 }
        free.removeAll()
        cachedBytes = 0
        return all
    }

    /// Bytes held by released blocks waiting for reuse.
    var idleBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return cachedBytes
    }
}
