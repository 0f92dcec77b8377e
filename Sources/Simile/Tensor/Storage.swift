import Foundation

/// Host memory for a CPU tensor: 64-byte aligned so that vector loads never split a cache line.
/// Released blocks go to `HostBuffer.cache` and serve later tensors of the same size.
final class HostBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let bytes: Int
    private let meter = HostMemoryMeter.current

    private static let cache = SizeBucketedCache<UnsafeMutableRawPointer>()

    init(count: Int) throws {
        bytes = SizeBucketedCache<UnsafeMutableRawPointer>.bucket(count * MemoryLayout<Float>.stride)
        guard let raw = Self.cache.take(bytes) ?? Self.allocate(bytes) else {
            throw SimileError.outOfMemory("cannot allocate \(count * MemoryLayout<Float>.stride) bytes of host memory")
        }
        pointer = raw.bindMemory(to: Float.self, capacity: count)
        meter?.allocated(bytes)
    }

    deinit {
        meter?.released(bytes)
        Self.cache.put(UnsafeMutableRawPointer(pointer), bytes: bytes)
    }

    /// Fresh aligned memory; on failure the cache is returned to the system and the call retried once.
    private static func allocate(_ bytes: Int) -> UnsafeMutableRawPointer? {
        for attempt in 0..<2 {
            var raw: UnsafeMutableRawPointer?
            if posix_memalign(&raw, 64, bytes) == 0, let raw { return raw }
            if attempt == 0 { cache.drain().forEach { free($0) } }
        }
        return nil
    }
}

/// Where a tensor's elements are.
enum Storage {
    case host(HostBuffer)
    case opencl(CLBuffer)
}
