import Foundation
import Simile

/// Where a trace's roofline goes: roofline.svg in the trace file's directory.
public func rooflinePath(besideTrace path: String) -> String {
    let directory = (path as NSString).deletingLastPathComponent
    return directory.isEmpty ? "roofline.svg" : (directory as NSString).appendingPathComponent("roofline.svg")
}

/// Checks a `--trace FILE` before any work (`validateOutputPaths`): the trace and the roofline.svg beside it can be
/// written, and neither is the same file as the other or as one of the command's `other` outputs.
public func validateTracePath(_ path: String?, besides other: [(path: String?, option: String)] = []) throws {
    try validateOutputPaths(other + [(path, "--trace"), (path.map(rooflinePath), "the roofline beside --trace")])
}

/// What a traced run ends with: the trace of `recorder` written to `path` (atomically: a run stopped meanwhile
/// leaves the old file or none, never half of one), roofline.svg beside it, and the kernel table printed, each
/// kernel's time against `wallSeconds` and its rates against `peaks` (by device identifier).
public func writeTraceReport(_ recorder: TraceRecorder, to path: String, wallSeconds: Double,
                             peaks: [String: DevicePeaks], title: String) throws {
    let events = try recorder.events()
    let totals = KernelTotal.of(events)
    try writeFileAtomically(try traceJSON(events), to: path)
    let roofline = rooflinePath(besideTrace: path)
    try writeFileAtomically(Array(rooflineSVG(totals, peaks: peaks, title: title).utf8), to: roofline)
    print(String(format: "\n%@: %d kernels over %.1f ms of wall time", title, totals.count, wallSeconds * 1e3))
    for (device, peak) in peaks.sorted(by: { $0.key < $1.key }) { print("peaks of \(device): \(peak)") }
    kernelTable(totals, wallSeconds: wallSeconds, peaks: peaks).forEach { print($0) }
    print("GB/s counts each launch's buffer arguments whole (at their pooled sizes): an upper bound on what a kernel "
          + "that reads part of a buffer moves, so % BW can pass 100% there")
    print("trace: \(path) (open it in ui.perfetto.dev or chrome://tracing); roofline: \(roofline)")
    fflush(stdout)
}
