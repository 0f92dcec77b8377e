import ArgumentParser
import Simile
import SimileCommandLine

/// `simile train --trace FILE --trace-steps A:B`: a Chrome/Perfetto trace of steps A to B (`StepTrace`), the kernel
/// table and roofline.svg beside it.
struct TraceOptions: ParsableArguments {
    @Option(help: "Write a Chrome/Perfetto trace of the --trace-steps steps (JSON) to this file and roofline.svg beside it, and print their kernel table (default: no trace).")
    var trace: String?
    @Option(parsing: .unconditional, help: "The steps --trace records, A:B, counted from 1 over the whole run; B may lie beyond the run's last step (default: 2:3).")
    var traceSteps: String?

    /// The steps to trace; nil without --trace.
    var steps: ClosedRange<Int>? {
        get throws {
            guard trace != nil else { return nil }
            guard let traceSteps else { return 2...3 }
            let bounds = traceSteps.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
            guard bounds.count == 2, let first = bounds[0], let last = bounds[1], first >= 1, first <= last else {
                throw SimileError.invalidArgument(
                    "--trace-steps takes A:B, step numbers from 1 with A ≤ B (such as 2:3), got '\(traceSteps)'")
            }
            return first...last
        }
    }

    func validate() throws {
        if traceSteps != nil, trace == nil { throw ValidationError("--trace-steps needs --trace FILE") }
        try asValidationError { _ = try steps }
        try validateTracePath(trace)
    }
}
