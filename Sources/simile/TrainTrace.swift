import Foundation
import Simile
import SimileCommandLine

/// `simile train --trace`: the steps it records, and what it writes and prints once they have run.
extension TrainCommand {
    /// Refuses, before anything is made, a --trace-steps window this run never reaches: one that begins after its
    /// last step, or (on --resume) ends before the step it resumes at. A window that ends beyond the last step is
    /// traced up to it.
    func checkTraceSteps(_ trainer: Trainer) throws {
        guard let steps = try tracing.steps else { return }
        let window = "--trace-steps \(steps.lowerBound):\(steps.upperBound)" + (tracing.traceSteps == nil ? " (the default)" : "")
        guard steps.lowerBound <= trainer.totalSteps else {
            throw SimileError.invalidArgument("\(window) begins after the run's last step, \(trainer.totalSteps)")
        }
        guard steps.upperBound > trainer.step else {
            throw SimileError.invalidArgument("\(window) ends before step \(trainer.step + 1), where this run resumes")
        }
    }

    /// The trace --trace asks for, or nil. When its steps have run (or the run ends or stops first) it writes the
    /// trace and roofline.svg and prints the kernel table, against the device's peaks measured then; `clearLine`
    /// first takes away the progress line.
    func stepTrace(_ trainer: Trainer, clearLine: @escaping () -> Void) throws -> StepTrace? {
        guard let path = tracing.trace, let steps = try tracing.steps else { return nil }
        return StepTrace(steps: steps) { trace in
            clearLine()
            guard let first = trace.traced.first, let last = trace.traced.last else {
                print("--trace: the run stopped before step \(steps.lowerBound); no trace was written")
                return
            }
            if last < steps.upperBound {
                let reason = last == trainer.totalSteps ? "the run's last step" : "where the run stopped"
                print("--trace: steps \(steps.lowerBound):\(steps.upperBound) asked for; traced \(first):\(last), "
                      + "\(last) being \(reason)")
            }
            let peaks = [trainer.device.identifier: try DevicePeaks.measure(on: trainer.device)]
            try writeTraceReport(trace.recorder, to: path, wallSeconds: trace.stepSeconds, peaks: peaks,
                                 title: "simile train \(trainer.configuration.method), steps \(first)–\(last) on "
                                     + "\(trainer.device)")
        }
    }
}
