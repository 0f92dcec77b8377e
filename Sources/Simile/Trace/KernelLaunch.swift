import COpenCL
import Foundation

/// One kernel launched while a `TraceRecorder` recorded: its profiling event and what the viewer shows beside it.
struct KernelLaunch {
    let backend: OpenCLBackend
    /// Retained for the recorder; released by it.
    let event: cl_event
    let name: String
    /// The global size as enqueued (rounded up to the local size) and the local size (empty: the driver's choice).
    let global: [Int]
    let local: [Int]
    /// The summed sizes of the distinct buffers among its arguments, and the floating-point operations its
    /// launcher counted (0 where it did not say).
    let bytes: Int
    let flops: Int
    /// Host time just before and just after `clEnqueueNDRangeKernel`.
    let enqueuedFrom: UInt64
    let enqueuedTo: UInt64

    func release() { clReleaseEvent(event) }

    /// The track of `backend`'s queue in the viewer, away from the host threads' small numbers.
    static func track(_ backend: OpenCLBackend) -> Int { 1000 + backend.info.index }

    /// The kernels of `launches` as complete events on their queue's track, from CL_PROFILING_COMMAND_START to END.
    ///
    /// Device and host clocks are aligned once per queue, on one launch: its CL_PROFILING_COMMAND_QUEUED is the device
    /// clock's reading of a moment within its `clEnqueueNDRangeKernel` call, whose midpoint the host clock read. The
    /// difference of the two is added to every device time of that queue. The launch is the one whose call was the
    /// shortest, which bounds the error (a few microseconds; a call preempted on a busy host would not), and both
    /// clocks run at the same rate over a trace's seconds.
    static func events(_ launches: [KernelLaunch], recorder: TraceRecorder) throws -> [TraceEvent] {
        var offsets: [ObjectIdentifier: Int64] = [:]
        for (key, queue) in Dictionary(grouping: launches, by: { ObjectIdentifier($0.backend) }) {
            try queue[0].backend.synchronize()
            let tightest = queue.min { $0.enqueuedTo - $0.enqueuedFrom < $1.enqueuedTo - $1.enqueuedFrom }!
            let midpoint = tightest.enqueuedFrom / 2 + tightest.enqueuedTo / 2
            offsets[key] = Int64(bitPattern: midpoint &- (try tightest.profilingTimes().queued))
        }
        var tracks: [Int: String] = [:]
        var events: [TraceEvent] = []
        for launch in launches {
            let times = try launch.profilingTimes()
            let offset = offsets[ObjectIdentifier(launch.backend)]!
            func host(_ device: UInt64) -> Double {
                recorder.microseconds(UInt64(bitPattern: Int64(bitPattern: device) &+ offset))
            }
            let track = track(launch.backend)
            tracks[track] = "\(launch.backend.identifier) queue (\(launch.backend.info.name))"
            var args: [String: TraceArgument] = [
                "device": .string(launch.backend.identifier), "queued_us": .double(host(times.queued)),
                "submitted_us": .double(host(times.submitted)), "global": .ints(launch.global),
                "local": .ints(launch.local), "bytes": .int(launch.bytes),
            ]
            if launch.flops > 0 { args["flops"] = .int(launch.flops) }
            events.append(.complete(launch.name, category: .kernel, timestamp: host(times.start),
                                    duration: Double(times.end &- times.start) / 1000, threadID: track, args: args))
        }
        return tracks.sorted { $0.key < $1.key }.map { TraceEvent.threadName($0.value, threadID: $0.key) } + events
    }

    /// CL_PROFILING_COMMAND_QUEUED, SUBMIT, START and END of the event, in device nanoseconds.
    private func profilingTimes() throws -> (queued: UInt64, submitted: UInt64, start: UInt64, end: UInt64) {
        func read(_ info: Int32) throws -> UInt64 {
            var value: cl_ulong = 0
            try clCheck(clGetEventProfilingInfo(event, cl_profiling_info(info), MemoryLayout<cl_ulong>.size, &value, nil),
                        "clGetEventProfilingInfo(\(name))")
            return UInt64(value)
        }
        return (try read(CL_PROFILING_COMMAND_QUEUED), try read(CL_PROFILING_COMMAND_SUBMIT),
                try read(CL_PROFILING_COMMAND_START), try read(CL_PROFILING_COMMAND_END))
    }
}
