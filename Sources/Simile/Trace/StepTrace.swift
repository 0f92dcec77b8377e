import Foundation

/// The training steps `simile train --trace-steps A:B` traces, numbered from 1 as the run counts them. Only while one
/// of them runs does its recorder record: its kernels, host spans (the loader included) and the step itself as a
/// span "step N", so evaluations, checkpoints and the other steps stay out of the trace. Once step B has run, or when
/// the run ends or stops before it (`complete`), `whenComplete` is given the trace, once.
public final class StepTrace {
    public let steps: ClosedRange<Int>
    public let recorder = TraceRecorder()
    /// The steps traced so far, and their summed wall time in seconds (from asking the loader for the batch to the
    /// step's return; kernels still queued then run on after it).
    public private(set) var traced: [Int] = []
    public private(set) var stepSeconds = 0.0
    private let whenComplete: (StepTrace) throws -> Void
    private var completed = false

    public init(steps: ClosedRange<Int>, whenComplete: @escaping (StepTrace) throws -> Void) {
        self.steps = steps
        self.whenComplete = whenComplete
    }

    /// Runs step `number`, which `body` takes and returns the result of (nil: there was no step to take, the epoch
    /// had ended), recording it when it is one of `steps`.
    func step<T>(_ number: Int, _ body: () throws -> T?) throws -> T? {
        guard !completed, steps.contains(number) else { return try body() }
        let start = hostNanoseconds()
        recorder.start()
        let result: T?
        do {
            result = try body()
        } catch {
            recorder.stop()
            throw error
        }
        recorder.stop()
        guard result != nil else { return nil }
        let end = hostNanoseconds()
        recorder.addSpan("step \(number)", .step, from: start, to: end)
        traced.append(number)
        stepSeconds += Double(end - start) * 1e-9
        if number == steps.upperBound { try complete() }
        return result
    }

    /// Hands the trace to `whenComplete` with the steps traced so far, unless that was done already.
    public func complete() throws {
        guard !completed else { return }
        completed = true
        try whenComplete(self)
    }
}
