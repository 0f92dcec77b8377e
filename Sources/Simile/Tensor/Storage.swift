import Foundation

/// Host memory for a CPU tensor: 64-byte aligned so that vector loads never split a cache line.
/// Released blocks go to `HostBuffer.cache` and serve later tensors of the same size.
final class HostBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let bytes: Int
    private let meter = HostMemoryMeter.current

    private static let cache = SizeBucketedCache<UnsafeMutableRawPointer>()

    /// Room for `count` floats; `what` names them in the error when the machine cannot hold them.
    init(count: Int, for what: @autoclosure () -> String = "a scratch buffer") throws {
        let requested = try CheckedSize.floatBytes(count, of: what())
        try MemoryLimit.host.check(requested, for: what())
        bytes = try SizeBucketedCache<UnsafeMutableRawPointer>.bucket(requested)
        guard let raw = Self.cache.take(bytes) ?? Self.allocate(bytes) else {
            throw SimileError.outOfMemory("\(what()) needs \(requested) bytes; the system refused to allocate them")
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
