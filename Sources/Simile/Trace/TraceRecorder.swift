import Foundation
import Synchronization

/// Nanoseconds on the host's monotonic clock: the time line of every trace event.
func hostNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// Collects a Chrome/Perfetto trace (`TraceEvent`) while it is started: host spans (`span`: BLAS calls, making and
/// waiting for batches, host waits on a queue, whole steps) and the OpenCL kernels launched meanwhile, whose device
/// times are read from their profiling events once the recording is over (`events`).
///
/// At most one recorder records at a time, process-wide, so that the sites that report to it need no plumbing. When
/// none records, a site's cost is one relaxed atomic load: no clock is read, no OpenCL event requested, no argument
/// built.
public final class TraceRecorder: @unchecked Sendable {
    private static let recording = Atomic<Bool>(false)
    private static let activeLock = NSLock()
    nonisolated(unsafe) private static var active: TraceRecorder?

    /// The recorder that is recording, or nil (the cheap check every site makes first).
    static var current: TraceRecorder? {
        guard recording.load(ordering: .relaxed) else { return nil }
        activeLock.lock()
        defer { activeLock.unlock() }
        return active
    }

    /// Host time zero of the trace.
    let origin = hostNanoseconds()
    private let lock = NSLock()
    private var spans: [TraceEvent] = []
    private var launches: [KernelLaunch] = []
    private var threads: [pthread_t: (id: Int, name: String)] = [:]

    public init() {}

    deinit { launches.forEach { $0.release() } }

    /// Makes this the recorder every site reports to, until `stop`.
    public func start() {
        Self.activeLock.lock()
        Self.active = self
        Self.recording.store(true, ordering: .relaxed)
        Self.activeLock.unlock()
    }

    /// Stops recording (if this recorder is the one recording).
    public func stop() {
        Self.activeLock.lock()
        if Self.active === self {
            Self.active = nil
            Self.recording.store(false, ordering: .relaxed)
        }
        Self.activeLock.unlock()
    }

    /// Runs `body`, recording it as a span on the calling thread's track when a recorder is recording. `name` and
    /// `args` are only evaluated then.
    public static func span<T>(_ name: @autoclosure () -> String, _ category: TraceCategory,
                               args: @autoclosure () -> [String: TraceArgument] = [:],
                               _ body: () throws -> T) rethrows -> T {
        guard let recorder = current else { return try body() }
        let start = hostNanoseconds()
        defer { recorder.addSpan(name(), category, from: start, to: hostNanoseconds(), args: args()) }
        return try body()
    }

    /// Adds a span of the calling thread from host time `start` to `end` (nanoseconds, `hostNanoseconds`).
    func addSpan(_ name: String, _ category: TraceCategory, from start: UInt64, to end: UInt64,
                 args: [String: TraceArgument] = [:]) {
        lock.lock()
        defer { lock.unlock() }
        spans.append(.complete(name, category: category, timestamp: microseconds(start),
                               duration: Double(end &- start) / 1000, threadID: callingThread(), args: args))
    }

    /// Keeps a kernel launch whose profiling event is read by `events`.
    func addLaunch(_ launch: KernelLaunch) {
        lock.lock()
        launches.append(launch)
        lock.unlock()
    }

    /// `host` nanoseconds as microseconds since the recorder was made.
    func microseconds(_ host: UInt64) -> Double { Double(Int64(bitPattern: host &- origin)) / 1000 }

    /// Every event recorded: the host spans, the tracks' names, and each kernel on its device queue's track, its
    /// device times placed on the host time line (`KernelLaunch.events`). Waits for the devices that ran kernels;
    /// call it after `stop`.
    public func events() throws -> [TraceEvent] {
        lock.lock()
        let (spans, launches, threads) = (self.spans, self.launches, self.threads)
        lock.unlock()
        let names = threads.values.sorted { $0.id < $1.id }.map { TraceEvent.threadName($0.name, threadID: $0.id) }
        return names + spans + (try KernelLaunch.events(launches, recorder: self))
    }

    /// A small number for the calling thread, its track in the viewer, counted from 1 in order of first appearance
    /// and named after the thread ("main", "loader worker"). Called under `lock`.
    private func callingThread() -> Int {
        let thread = pthread_self()
        if let known = threads[thread] { return known.id }
        let id = threads.count + 1
        let name = Thread.isMainThread ? "main" : (Thread.current.name.flatMap { $0.isEmpty ? nil : $0 } ?? "thread \(id)")
        threads[thread] = (id, name)
        return id
    }
}
