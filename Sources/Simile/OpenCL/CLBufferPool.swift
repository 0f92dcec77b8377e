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

    deinit { pool.cache.put(mem, bytes: bytes) }
}

/// Device buffers for one context. Commands run in order on one queue, so a recycled buffer may be
/// handed out while earlier commands that used it are still queued.
final class CLBufferPool: @unchecked Sendable {
    private let context: cl_context
    private let limit: MemoryLimit
    fileprivate let cache = SizeBucketedCache<cl_mem>()
    private let countLock = NSLock()
    private var heldBytes = 0
    private var peakHeldBytes = 0

    init(context: cl_context, device: CLDeviceInfo) {
        self.context = context
        limit = MemoryLimit(openCL: device)
        clRetainContext(context)
    }

    deinit {
        releaseCached()
        clReleaseContext(context)
    }

    /// A buffer of at least `bytes` bytes for `what` (named in the error when the device cannot hold it).
    /// On allocation failure the cache is emptied and the call retried once before it reports out-of-memory.
    func buffer(bytes requested: Int, for what: @autoclosure () -> String = "a scratch buffer") throws -> CLBuffer {
        try limit.check(requested, for: what())
        let bytes = try SizeBucketedCache<cl_mem>.bucket(requested)
        if let mem = cache.take(bytes) { return CLBuffer(mem: mem, bytes: bytes, pool: self) }
        var status: cl_int = 0
        var mem = clCreateBuffer(context, cl_mem_flags(CL_MEM_READ_WRITE), bytes, nil, &status)
        if status == CL_MEM_OBJECT_ALLOCATION_FAILURE || status == CL_OUT_OF_RESOURCES
            || status == CL_OUT_OF_HOST_MEMORY || status == CL_INVALID_BUFFER_SIZE {
            releaseCached()
            mem = clCreateBuffer(context, cl_mem_flags(CL_MEM_READ_WRITE), bytes, nil, &status)
            if status != CL_SUCCESS {
                throw SimileError.outOfMemory(
                    "\(what()) needs \(requested) bytes; the OpenCL device refused them (\(openCLErrorName(status)))")
            }
        }
        try clCheck(status, "clCreateBuffer(\(bytes) bytes)")
        count(bytes)
        return CLBuffer(mem: mem!, bytes: bytes, pool: self)
    }

    /// Device memory the pool has from the driver (buffers in use and idle ones), and the most it has had since
    /// `resetPeak` (or since it was made).
    var memory: (held: Int, peak: Int) {
        countLock.lock()
        defer { countLock.unlock() }
        return (heldBytes, peakHeldBytes)
    }

    /// Starts a new peak at the memory held now.
    func resetPeak() {
        countLock.lock()
        peakHeldBytes = heldBytes
        countLock.unlock()
    }

    private func count(_ bytes: Int) {
        countLock.lock()
        heldBytes += bytes
        peakHeldBytes = max(peakHeldBytes, heldBytes)
        countLock.unlock()
    }

    /// Bytes held by released buffers waiting for reuse.
    var idleBytes: Int { cache.idleBytes }

    /// Gives every idle buffer back to the driver.
    func releaseCached() {
        for mem in cache.drain() {
            var bytes = 0
            clGetMemObjectInfo(mem, cl_mem_info(CL_MEM_SIZE), MemoryLayout<Int>.size, &bytes, nil)
            count(-bytes)
            clReleaseMemObject(mem)
        }
    }
}
