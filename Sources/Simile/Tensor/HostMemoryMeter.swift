import Foundation

/// Measures the host memory CPU tensors hold while a body runs: every `HostBuffer` made inside
/// `measure` (on the calling task, so concurrent work elsewhere is not counted) adds its bytes until it is
/// released. Bytes are the served sizes (256-byte granules); plain Swift arrays are not counted.
public final class HostMemoryMeter: @unchecked Sendable {
    /// The most bytes that were live at once, and the bytes still live when the body returned
    /// (its results); the difference is the scratch memory the body needed beyond its results.
    public struct Usage: Sendable {
        public let peakBytes: Int
        public let retainedBytes: Int
        public var scratchBytes: Int { peakBytes - retainedBytes }
    }

    @TaskLocal static var current: HostMemoryMeter?

    private let lock = NSLock()
    private var live = 0
    private var peak = 0

    private init() {}

    /// Runs `body` and returns its result with the host memory it allocated.
    public static func measure<T>(_ body: () throws -> T) rethrows -> (result: T, usage: Usage) {
        let meter = HostMemoryMeter()
        let result = try $current.withValue(meter) { try body() }
        meter.lock.lock()
        defer { meter.lock.unlock() }
        return (result, Usage(peakBytes: meter.peak, retainedBytes: meter.live))
    }

    func allocated(_ bytes: Int) {
        lock.lock()
        live += bytes
        peak = max(peak, live)
        lock.unlock()
    }

    func released(_ bytes: Int) {
        lock.lock()
        live -= bytes
        lock.unlock()
    }
}
