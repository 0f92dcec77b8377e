import Foundation

/// One kernel of a trace summed over its calls: an OpenCL kernel by its launch name, or a BLAS call site on the CPU
/// backend ("sgemm conv2d forward"), on one device. Its rates are its work over its own time.
public struct KernelTotal: Sendable {
    public let device: String
    public let name: String
    public internal(set) var calls = 0
    public internal(set) var seconds = 0.0
    /// Summed over the calls; flops is 0 where the launcher did not count them.
    public internal(set) var flops = 0.0
    public internal(set) var bytes = 0.0

    public var gflops: Double? { flops > 0 && seconds > 0 ? flops / seconds * 1e-9 : nil }
    public var gbps: Double? { bytes > 0 && seconds > 0 ? bytes / seconds * 1e-9 : nil }
    /// Arithmetic intensity, flops per byte: where the kernel sits on a roofline; nil without both counts.
    public var intensity: Double? { flops > 0 && bytes > 0 ? flops / bytes : nil }

    /// The kernels and BLAS calls of `events`, by device and name, the longest first.
    public static func of(_ events: [TraceEvent]) -> [KernelTotal] {
        var totals: [String: KernelTotal] = [:]
        for event in events where event.phase == "X"
            && (event.category == TraceCategory.kernel.rawValue || event.category == TraceCategory.blas.rawValue) {
            guard case .string(let device)? = event.args["device"] else { continue }
            var total = totals[device + "\u{0}" + event.name] ?? KernelTotal(device: device, name: event.name)
            total.calls += 1
            total.seconds += (event.duration ?? 0) * 1e-6
            total.flops += event.args["flops"]?.number ?? 0
            total.bytes += event.args["bytes"]?.number ?? 0
            totals[device + "\u{0}" + event.name] = total
        }
        return totals.values.sorted { ($0.seconds, $1.name) > ($1.seconds, $0.name) }
    }
}

/// The kernel table a traced run prints: per kernel its calls, total time, share of the traced wall time
/// (`wallSeconds`: the traced steps' own, so kernels that overlap each other or run on after a step can sum past
/// 100%), and its GFLOP/s and GB/s with each as a share of its device's measured peak (`peaks`, by device identifier;
/// "-" where there is no count or no peak).
public func kernelTable(_ totals: [KernelTotal], wallSeconds: Double, peaks: [String: DevicePeaks]) -> [String] {
    let widths = [-36, -10, 7, 10, 7, 9, 8, 8, 8]
    func row(_ cells: [String]) -> String {
        zip(cells, widths).map { cell, width in
            let padding = String(repeating: " ", count: max(0, abs(width) - cell.count))
            return width < 0 ? cell + padding : padding + cell
        }.joined(separator: " ")
    }
    func share(_ value: Double?, of peak: Double?) -> String {
        guard let value, let peak, peak > 0 else { return "-" }
        return String(format: "%.1f%%", 100 * value / peak)
    }
    let header = row(["kernel", "device", "calls", "total ms", "% wall", "GFLOP/s", "% peak", "GB/s", "% BW"])
    return [header] + totals.map { total in
        let peak = peaks[total.device]
        return row([total.name, total.device, "\(total.calls)", String(format: "%.3f", total.seconds * 1e3),
                    String(format: "%.1f%%", 100 * total.seconds / wallSeconds),
                    total.gflops.map { String(format: "%.2f", $0) } ?? "-", share(total.gflops, of: peak?.gflops),
                    total.gbps.map { String(format: "%.2f", $0) } ?? "-", share(total.gbps, of: peak?.gbps)])
    }
}
