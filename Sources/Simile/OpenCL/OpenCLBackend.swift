import COpenCL
import Foundation

/// An argument to an OpenCL kernel.
enum KernelArgument {
    case buffer(CLBuffer)
    case int(Int)
    case float(Float)
    /// Work-group local memory of this many bytes.
    case local(bytes: Int)
}

/// One OpenCL device in use: its context, an in-order profiling queue, a buffer pool, the staging memory of
/// uploads and the program cache. Kernels and uploads are only enqueued; reading results back to the host (and
/// `synchronize`) is the one point that waits for the queue, and each such wait is noted in `HostWaitMeter`.
public final class OpenCLBackend: @unchecked Sendable {
    public let info: CLDeviceInfo
    let context: cl_context
    let queue: cl_command_queue
    /// This device's kernel shapes.
    let shapes: KernelShapes
    let pool: CLBufferPool
    let staging: CLStaging
    let programs: CLProgramCache
    /// The GEMM parameters per shape class: this device's tuning cache, or the defaults (GemmTuning.swift); the
    /// tuner sets each candidate here while it times it.
    var tuning: GemmTuning
    /// fp32, or tf32 on tensor cores once `Device.setPrecision` has probed them (GemmTensorCores.swift).
    var precision = Precision.fp32
    /// While set, every GEMM launch is counted here by shape (the tuner's view of a workload).
    var gemmShapeLog: GemmShapeLog?
    private let launchLock = NSLock()
    private var recordedEvents: [cl_event]?

    /// A backend on `info`'s device; `reductionGroupSize` overrides the device's choice (see `KernelShapes`), and
    /// `tuning` the device's tuning cache.
    init(_ info: CLDeviceInfo, reductionGroupSize: Int? = nil, tuning: GemmTuning? = nil) throws {
        self.info = info
        shapes = KernelShapes(info, reductionGroupSize: reductionGroupSize)
        var status: cl_int = 0
        var deviceID: cl_device_id? = info.id
        let context = clCreateContext(nil, 1, &deviceID, nil, nil, &status)
        try clCheck(status, "clCreateContext(\(info.name))")
        let queue = clCreateCommandQueue(context, info.id, cl_command_queue_properties(CL_QUEUE_PROFILING_ENABLE), &status)
        if status != CL_SUCCESS { clReleaseContext(context) }
        try clCheck(status, "clCreateCommandQueue(\(info.name))")
        self.context = context!
        self.queue = queue!
        pool = CLBufferPool(context: context!, device: info)
        staging = try CLStaging(context: context!, device: info)
        programs = CLProgramCache(device: info, context: context!)
        self.tuning = tuning ?? GemmTuningCache.load(for: info)
    }

    deinit {
        clFinish(queue)
        clReleaseCommandQueue(queue)
        clReleaseContext(context)
    }

    /// "opencl:N", as `Device.identifier` names it.
    var identifier: String { "opencl:\(info.index)" }

    /// Enqueues `kernel` over `global` work-items (each dimension rounded up to a multiple of `local`
    /// when `local` is given; kernels bound-check their own index). `flops`, the floating-point operations of the
    /// launch where the launcher counts them, only goes into traces (`TraceRecorder`), for the roofline.
    func launch(_ kernel: cl_kernel, name: String, global: [Int], local: [Int]? = nil, flops: Int = 0,
                _ arguments: [KernelArgument]) throws {
        launchLock.lock()
        defer { launchLock.unlock() }
        for (index, argument) in arguments.enumerated() {
            let status: cl_int
            switch argument {
            case .buffer(let buffer):
                var mem: cl_mem? = buffer.mem
                status = clSetKernelArg(kernel, cl_uint(index), MemoryLayout<cl_mem>.size, &mem)
            case .int(let value):
                guard var scalar = cl_int(exactly: value) else {
                    throw SimileError.invalidArgument(
                        "\(name): argument \(index) is \(value), beyond the 32-bit integers OpenCL kernels take")
                }
                status = clSetKernelArg(kernel, cl_uint(index), MemoryLayout<cl_int>.size, &scalar)
            case .float(let value):
                var scalar = value
                status = clSetKernelArg(kernel, cl_uint(index), MemoryLayout<Float>.size, &scalar)
            case .local(let bytes):
                status = clSetKernelArg(kernel, cl_uint(index), bytes, nil)
            }
            try clCheck(status, "clSetKernelArg(\(name), argument \(index))")
        }
        var globalSize = global
        if let local {
            globalSize = zip(global, local).map { size, group in (size + group - 1) / group * group }
        }
        let localSize = local ?? []
        var event: cl_event?
        let tracer = TraceRecorder.current
        let wantsEvent = recordedEvents != nil || tracer != nil
        let enqueuedFrom = tracer == nil ? 0 : hostNanoseconds()
        let status = globalSize.withUnsafeBufferPointer { globalPointer in
            localSize.withUnsafeBufferPointer { localPointer in
                withUnsafeMutablePointer(to: &event) { eventPointer in
                    clEnqueueNDRangeKernel(queue, kernel, cl_uint(global.count), nil, globalPointer.baseAddress,
                                           local == nil ? nil : localPointer.baseAddress, 0, nil,
                                           wantsEvent ? eventPointer : nil)
                }
            }
        }
        if status == CL_MEM_OBJECT_ALLOCATION_FAILURE || status == CL_OUT_OF_RESOURCES {
            throw SimileError.outOfMemory("\(name) on \(info.name): \(openCLErrorName(status))")
        }
        try clCheck(status, "clEnqueueNDRangeKernel(\(name), global \(globalSize), local \(local.map { "\($0)" } ?? "auto"))")
        guard let event else { return }
        if let tracer {
            clRetainEvent(event)
            tracer.addLaunch(KernelLaunch(backend: self, event: event, name: name, global: globalSize, local: localSize,
                                          bytes: Self.distinctBufferBytes(arguments), flops: flops,
                                          enqueuedFrom: enqueuedFrom, enqueuedTo: hostNanoseconds()))
        }
        if recordedEvents != nil { recordedEvents?.append(event) } else { clReleaseEvent(event) }
    }

    /// The summed sizes of the buffers among `arguments`, each counted once however often it is passed: the bytes a
    /// trace reports for a launch (pooled buffers are rounded up to 256 bytes).
    private static func distinctBufferBytes(_ arguments: [KernelArgument]) -> Int {
        var seen = Set<cl_mem>()
        return arguments.reduce(0) { total, argument in
            guard case .buffer(let buffer) = argument, seen.insert(buffer.mem).inserted else { return total }
            return total + buffer.bytes
        }
    }

    /// Runs `body`, waits for the queue, and returns the summed device time of the kernels it
    /// enqueued, in seconds, from the queue's profiling events.
    public func profileKernels(_ body: () throws -> Void) throws -> Double {
        launchLock.lock()
        recordedEvents = []
        launchLock.unlock()
        defer {
            launchLock.lock()
            recordedEvents?.forEach { clReleaseEvent($0) }
            recordedEvents = nil
            launchLock.unlock()
        }
        try body()
        try synchronize()
        launchLock.lock()
        let events = recordedEvents ?? []
        launchLock.unlock()
        var total: cl_ulong = 0
        for event in events {
            var start: cl_ulong = 0
            var end: cl_ulong = 0
            try clCheck(clGetEventProfilingInfo(event, cl_profiling_info(CL_PROFILING_COMMAND_START),
                                                MemoryLayout<cl_ulong>.size, &start, nil), "clGetEventProfilingInfo")
            try clCheck(clGetEventProfilingInfo(event, cl_profiling_info(CL_PROFILING_COMMAND_END),
                                                MemoryLayout<cl_ulong>.size, &end, nil), "clGetEventProfilingInfo")
            total += end - start
        }
        return Double(total) * 1e-9
    }

    /// Device memory in buffers (in use, or idle in the pool for reuse), now and at its peak since
    /// `resetPeakMemory()`: what the device must hold for the work done, beside the host memory a process reports.
    public var memory: (held: Int, peak: Int) { pool.memory }

    /// Gives the pool's idle buffers back to the driver and starts a new peak at the memory in use, so that the
    /// next peak is what the work after this call needs.
    public func resetPeakMemory() {
        pool.releaseCached()
        pool.resetPeak()
    }

    /// Waits until every enqueued command has finished.
    public func synchronize() throws {
        try HostWaitMeter.wait("clFinish") { try clCheck(clFinish(queue), "clFinish(\(info.name))") }
    }

    /// Enqueues the copy of `count` floats from the host into `buffer` through `staging` and returns before it
    /// has run; the host memory may be reused at once.
    func upload(_ source: UnsafePointer<Float>, count: Int, to buffer: CLBuffer) throws {
        guard count > 0 else { return }
        try staging.upload(source, bytes: count * 4, to: buffer.mem, on: queue)
    }

    /// Copies `count` floats from `buffer` to the host, after every command enqueued before it (a blocking wait).
    func read(_ buffer: CLBuffer, count: Int, into destination: UnsafeMutablePointer<Float>) throws {
        guard count > 0 else { return }
        try HostWaitMeter.wait("blocking read") {
            try clCheck(clEnqueueReadBuffer(queue, buffer.mem, cl_bool(CL_TRUE), 0, count * 4, destination, 0, nil, nil),
                        "clEnqueueReadBuffer(\(count * 4) bytes)")
        }
    }

    /// Device-to-device copy of `count` floats, read from float `sourceOffset` of `source` on and written from float
    /// `destinationOffset` of `destination` on.
    func copy(_ source: CLBuffer, to destination: CLBuffer, count: Int, sourceOffset: Int = 0,
              destinationOffset: Int = 0) throws {
        guard count > 0 else { return }
        try clCheck(clEnqueueCopyBuffer(queue, source.mem, destination.mem, sourceOffset * 4, destinationOffset * 4,
                                        count * 4, 0, nil, nil),
                    "clEnqueueCopyBuffer(\(count * 4) bytes)")
    }

    /// Sets `count` floats of `buffer`, from float `offset` on, to `value` (its bits: a NaN payload is kept).
    func fill(_ buffer: CLBuffer, count: Int, value: Float, offset: Int = 0) throws {
        guard count > 0 else { return }
        var pattern = value
        try clCheck(clEnqueueFillBuffer(queue, buffer.mem, &pattern, 4, offset * 4, count * 4, 0, nil, nil),
                    "clEnqueueFillBuffer(\(count * 4) bytes)")
    }

    /// Compiles `source` (or takes it from the cache) and returns its kernel `name`.
    func kernel(_ name: String, program: String, source: String, options: String = "") throws -> cl_kernel {
        try programs.kernel(name, program: program, source: source, options: options)
    }
}
