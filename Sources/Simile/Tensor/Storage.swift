import Foundation

/// Host memory for a CPU tensor: 64-byte aligned so that vector loads never split a cache line.
final class HostBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) throws {
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, max(64, count * MemoryLayout<Float>.stride)) == 0, let raw else {
            throw SimileError.outOfMemory("cannot allocate \(count * 4) bytes of host memory")
        }
        pointer = raw.bindMemory(to: Float.self, capacity: count)
        self.count = count
    }

    deinit { free(pointer) }
}

/// Where a tensor's elements are.
enum Storage {
    case host(HostBuffer)
    case opencl(CLBuffer)
}
