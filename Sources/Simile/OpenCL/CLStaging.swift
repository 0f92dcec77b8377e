import COpenCL
import Foundation

/// Pinned host memory that uploads go through, so that an upload returns before its transfer has run and the next
/// batch can go up while the current one computes.
///
/// The rule: an upload copies the host data into a staging block, enqueues a non-blocking write from the block with
/// an event, and returns; the caller's memory is free at once. A block is handed out again only after its write's
/// event has completed, found by polling (which does not wait). Staging memory is bounded: when the writes still in
/// flight would hold more than `inFlightLimit` bytes, the upload first waits for the oldest ones (a counted blocking
/// wait, in `HostWaitMeter`), and idle blocks beyond that many bytes are given back to the driver.
///
/// Blocks are buffers made with CL_MEM_ALLOC_HOST_PTR (page-locked by GPU drivers, so the write is a DMA from them)
/// and mapped once for their lifetime on a private queue that holds no other work, so mapping one does not wait
/// for the kernels on the device's queue.
final class CLStaging: @unchecked Sendable {
    private struct Block {
        let mem: cl_mem
        let pointer: UnsafeMutableRawPointer
    }

    /// Bytes the writes in flight, and the idle blocks, may each hold: beyond it an upload waits for the oldest write,
    /// and the idle blocks are released.
    let inFlightLimit: Int
    private let context: cl_context
    private let mappingQueue: cl_command_queue
    private let lock = NSLock()
    private let idle = SizeBucketedCache<Block>()
    /// Blocks whose writes were enqueued, oldest first; the queue is in order, so they complete in this order.
    private var inFlight: [(block: Block, bytes: Int, event: cl_event)] = []
    private var inFlightBytes = 0

    init(context: cl_context, device: CLDeviceInfo, inFlightLimit: Int = 256 << 20) throws {
        var status: cl_int = 0
        let queue = clCreateCommandQueue(context, device.id, 0, &status)
        try clCheck(status, "clCreateCommandQueue(staging, \(device.name))")
        self.context = context
        self.inFlightLimit = inFlightLimit
        mappingQueue = queue!
        clRetainContext(context)
    }

    deinit {
        for (block, bytes, event) in inFlight {
            var pending: cl_event? = event
            clWaitForEvents(1, &pending)
            clReleaseEvent(event)
            idle.put(block, bytes: bytes)
        }
        releaseIdle()
        clReleaseCommandQueue(mappingQueue)
        clReleaseContext(context)
    }

    /// Copies `bytes` bytes from `source` into a staging block and enqueues their non-blocking write into
    /// `destination` on `queue`; returns before the write has run.
    func upload(_ source: UnsafeRawPointer, bytes requested: Int, to destination: cl_mem,
                on queue: cl_command_queue) throws {
        let bytes = try SizeBucketedCache<Block>.bucket(requested)
        lock.lock()
        defer { lock.unlock() }
        try retire(waitingUntilRoomFor: bytes)
        let block = try idle.take(bytes) ?? makeBlock(bytes)
        block.pointer.copyMemory(from: source, byteCount: requested)
        var event: cl_event?
        let status = clEnqueueWriteBuffer(queue, destination, cl_bool(CL_FALSE), 0, requested, block.pointer,
                                          0, nil, &event)
        guard status == CL_SUCCESS else {
            idle.put(block, bytes: bytes)
            throw SimileError.openCL(call: "clEnqueueWriteBuffer(\(requested) bytes, non-blocking)", code: status)
        }
        inFlight.append((block, bytes, event!))
        inFlightBytes += bytes
        clFlush(queue)
    }

    /// Returns the blocks whose writes have completed to `idle`, oldest first, and waits for the oldest writes still
    /// running while they and `bytes` more would exceed `inFlightLimit`.
    private func retire(waitingUntilRoomFor bytes: Int) throws {
        while let (block, blockBytes, event) = inFlight.first {
            var status: cl_int = 0
            try clCheck(clGetEventInfo(event, cl_event_info(CL_EVENT_COMMAND_EXECUTION_STATUS),
                                       MemoryLayout<cl_int>.size, &status, nil), "clGetEventInfo(staging write)")
            if status > CL_COMPLETE {
                guard inFlightBytes + bytes > inFlightLimit else { break }
                var pending: cl_event? = event
                try HostWaitMeter.wait("staging write") {
                    try clCheck(clWaitForEvents(1, &pending), "clWaitForEvents(staging write)")
                }
            }
            clReleaseEvent(event)
            inFlight.removeFirst()
            inFlightBytes -= blockBytes
            idle.put(block, bytes: blockBytes)
        }
        if idle.idleBytes > inFlightLimit { releaseIdle() }
    }

    /// Unmaps and releases every idle block.
    private func releaseIdle() {
        for block in idle.drain() {
            clEnqueueUnmapMemObject(mappingQueue, block.mem, block.pointer, 0, nil, nil)
            clFinish(mappingQueue)
            clReleaseMemObject(block.mem)
        }
    }

    /// A new block of `bytes` bytes, mapped for writing on the private queue.
    private func makeBlock(_ bytes: Int) throws -> Block {
        var status: cl_int = 0
        let flags = cl_mem_flags(CL_MEM_ALLOC_HOST_PTR) | cl_mem_flags(CL_MEM_READ_WRITE)
        guard let mem = clCreateBuffer(context, flags, bytes, nil, &status), status == CL_SUCCESS else {
            throw SimileError.outOfMemory(
                "an upload needs \(bytes) bytes of pinned staging memory; OpenCL refused them (\(openCLErrorName(status)))")
        }
        let pointer = clEnqueueMapBuffer(mappingQueue, mem, cl_bool(CL_TRUE), cl_map_flags(CL_MAP_WRITE), 0, bytes,
                                         0, nil, nil, &status)
        guard status == CL_SUCCESS, let pointer else {
            clReleaseMemObject(mem)
            throw SimileError.openCL(call: "clEnqueueMapBuffer(staging, \(bytes) bytes)", code: status)
        }
        return Block(mem: mem, pointer: pointer)
    }
}
