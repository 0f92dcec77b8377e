import Foundation

/// Counts the blocking host waits on an OpenCL queue (blocking reads, `clFinish`, `clWaitForEvents`) that the
/// calling task makes while a body runs, so that tests can hold a training step to the one wait where it reads its
/// loss. Task-local like `HostMemoryMeter`: waits made by concurrent work elsewhere are not counted. Each wait is
/// also a span of a trace being recorded (`TraceRecorder`).
final class HostWaitMeter: @unchecked Sendable {
    @TaskLocal private static var current: HostWaitMeter?

    private let lock = NSLock()
    private var waits = 0

    private init() {}

    /// Runs `body` and returns its result with the number of blocking waits it made.
    static func count<T>(_ body: () throws -> T) rethrows -> (result: T, waits: Int) {
        let meter = HostWaitMeter()
        let result = try $current.withValue(meter) { try body() }
        meter.lock.lock()
        defer { meter.lock.unlock() }
        return (result, meter.waits)
    }

    /// Runs `body`, one blocking wait of the calling task named `what`: counted inside `count`, traced while a
    /// recorder records.
    static func wait<T>(_ what: @autoclosure () -> String, _ body: () throws -> T) rethrows -> T {
        if let meter = current {
            meter.lock.lock()
            meter.waits += 1
            meter.lock.unlock()
        }
        return try TraceRecorder.span("host wait: \(what())", .wait, body)
    }
}
