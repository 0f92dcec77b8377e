import COpenCL
import Foundation

/// A device buffer. Releasing the last reference returns it to its pool for reuse.
final class CLBuffer {
    let mem: cl_mem
    let bytes: Int
    private let pool: CLBufferPool

    fileprivate init(mem: cl_mem, bytes: Int, pool: CLBufferPool) {
        self.mem = mem
        self.bytes = bytes
        self.pool = pool
    }

    deinit { pool.recycle(mem, bytes: bytes) }
}

/// Keeps released buffers by size so that a training step's allocations are served without
/// calling the driver. Commands run in order on one queue, so a recycled buffer may be handed
/// out while earlier commands that used it are still queued.
final class CLBufferPool: @unchecked Sendable {
    private let context: cl_context
    private let lock = NSLock()
    private var free: [Int: [cl_mem]] = [:]
    private var cachedBytes = 0

    init(context: cl_context) {
        self.context = context
        clRetainContext(context)
    }

    deinit {
        releaseCached()
        clReleaseContext(context)
    }

    /// A buffer of at least `bytes` bytes (sizes are rounded up to 256-byte granules so near-equal
    /// requests share buckets). On allocation failure the cache is emptied and the call retried once.
    func buffer(bytes requested: Int) throws -> CLBuffer {
        let bytes = max(256, (requested + 255) & ~255)
        if let mem = takeCached(bytes) { return CLBuffer(mem: mem, bytes: bytes, pool: self) }
        var status: cl_int = 0
        var mem = clCreateBuffer(context, cl_mem_flags(CL_MEM_READ_WRITE), bytes, nil, &status)
        if status == CL_MEM_OBJECT_ALLOCATION_FAILURE || status == CL_OUT_OF_RESOURCES
            || status == CL_OUT_OF_HOST_MEMORY || status == CL_INVALID_BUFFER_SIZE {
            releaseCached()
            mem = clCreateBuffer(context, cl_mem_flags(CL_MEM_READ_WRITE), bytes, nil, &status)
            if status != CL_SUCCESS {
                throw SimileError.outOfMemory("cannot allocate \(bytes) bytes on the OpenCL device (\(openCLErrorName(status)))")
            }
        }
        try clCheck(status, "clCreateBuffer(\(bytes) bytes)")
        return CLBuffer(mem: mem!, bytes: bytes, pool: self)
    }

    fileprivate func recycle(_ mem: cl_mem, bytes: Int) {
        lock.lock()
        free[bytes, default: []].append(mem)
        cachedBytes += bytes
        lock.unlock()
    }

    /// Bytes held by released buffers waiting for reuse.
    var idleBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return cachedBytes
    }

    /// Gives every idle buffer back to the driver.
    func releaseCached() {
        lock.lock()
        let all = free.values.flatMap { $0 }
        free.removeAll()
        cachedBytes = 0
        lock.unlock()
        for mem in all { clReleaseMemObject(mem) }
    }

    private func takeCached(_ bytes: Int) -> cl_mem? {
        lock.lock()
        defer { lock.unlock() }
        guard let mem = free[bytes]?.popLast() else { return nil }
        cachedBytes -= bytes
        return mem
    }
}
