import Foundation
import Simile

/// One measured line, as written to `--json FILE`.
struct BenchRecord: Codable {
    let kernel: String
    let device: String
    let size: String
    let medianMs: Double
    let minMs: Double
    /// Median device time of the kernels from OpenCL profiling events; nil on the CPU.
    let kernelMs: Double?
    let gflops: Double
    let gbps: Double
    let peakFraction: Double
    let extraBytes: Int
    /// The process's peak resident memory during the case (inputs, outputs, caches and the runtime included).
    let peakResidentBytes: Int?
    /// On OpenCL, the peak of the device memory in buffers during the case (inputs and outputs included).
    let peakDeviceBytes: Int?
    /// Images (or items) per second, where a case processes a batch.
    let itemsPerSecond: Double?
    /// The device's own peaks measured in the same run (`DevicePeaks`), and the case's GFLOP/s and GB/s as shares of
    /// them: on an OpenCL device its FP32 FMA rate and copy bandwidth, on the CPU OpenBLAS's sgemm and memcpy's.
    let devicePeakGflops: Double?
    let devicePeakGbps: Double?
    let deviceComputeFraction: Double?
    let deviceBandwidthFraction: Double?

    enum CodingKeys: String, CodingKey {
        case kernel, device, size, gflops, gbps
        case medianMs = "median_ms", minMs = "min_ms", kernelMs = "kernel_ms"
        case peakFraction = "peak_fraction", extraBytes = "extra_bytes", peakResidentBytes = "peak_rss_bytes"
        case peakDeviceBytes = "peak_device_bytes"
        case itemsPerSecond = "items_per_second"
        case devicePeakGflops = "device_peak_gflops", devicePeakGbps = "device_peak_gbps"
        case deviceComputeFraction = "device_compute_fraction", deviceBandwidthFraction = "device_bandwidth_fraction"
    }

    init(_ benchCase: BenchCase, device: String, _ measurement: Measurement, peakGflops: Double,
         devicePeaks: DevicePeaks?) {
        kernel = benchCase.kernel
        self.device = device
        size = benchCase.size
        medianMs = measurement.medianWall * 1e3
        minMs = measurement.minWall * 1e3
        kernelMs = measurement.medianKernel.map { $0 * 1e3 }
        gflops = benchCase.flops / measurement.medianWall * 1e-9
        gbps = benchCase.bytes / measurement.medianWall * 1e-9
        peakFraction = gflops / peakGflops
        extraBytes = benchCase.extraBytes
        peakResidentBytes = measurement.peakResidentBytes
        peakDeviceBytes = measurement.peakDeviceBytes
        itemsPerSecond = benchCase.items.map { Double($0) / measurement.medianWall }
        (devicePeakGflops, devicePeakGbps) = (devicePeaks?.gflops, devicePeaks?.gbps)
        let (gflops, gbps) = (gflops, gbps)
        deviceComputeFraction = devicePeaks.map { gflops / $0.gflops }
        deviceBandwidthFraction = devicePeaks.map { gbps / $0.gbps }
    }
}

/// The table on stdout: one line per (kernel, size, device), devices of the same case side by side,
/// each compared with the first device measured for that case (the CPU when it is included).
struct ReportTable {
    private var baseline: [String: Double] = [:]

    static let header = row(["kernel", "size", "device", "median ms", "min ms", "kernel ms", "GFLOP/s", "GB/s",
                             "% peak", "% dev", "% dev BW", "vs first", "extra MiB", "peak RSS MiB", "device MiB",
                             "items/s"])

    mutating func line(_ record: BenchRecord) -> String {
        let key = "\(record.kernel.prefix { $0 != "[" })|\(record.size)"
        let reference = baseline[key] ?? record.medianMs
        if baseline[key] == nil { baseline[key] = record.medianMs }
        return Self.row([record.kernel, record.size, record.device, String(format: "%.3f", record.medianMs),
                         String(format: "%.3f", record.minMs), record.kernelMs.map { String(format: "%.3f", $0) } ?? "-",
                         String(format: "%.2f", record.gflops), String(format: "%.2f", record.gbps),
                         String(format: "%.1f%%", 100 * record.peakFraction),
                         record.deviceComputeFraction.map { String(format: "%.1f%%", 100 * $0) } ?? "-",
                         record.deviceBandwidthFraction.map { String(format: "%.1f%%", 100 * $0) } ?? "-",
                         String(format: "%.2fx", reference / record.medianMs),
                         String(format: "%.1f", Double(record.extraBytes) / 1048576),
                         record.peakResidentBytes.map { String(format: "%.0f", Double($0) / 1048576) } ?? "-",
                         record.peakDeviceBytes.map { String(format: "%.0f", Double($0) / 1048576) } ?? "-",
                         record.itemsPerSecond.map { String(format: "%.1f", $0) } ?? "-"])
    }

    /// Left-aligned text columns, then right-aligned numbers.
    private static let widths = [-24, -14, -10, 10, 10, 10, 9, 8, 7, 7, 8, 9, 10, 13, 11, 8]

    private static func row(_ cells: [String]) -> String {
        zip(cells, widths).map { cell, width in
            let padding = String(repeating: " ", count: max(0, abs(width) - cell.count))
            return width < 0 ? cell + padding : padding + cell
        }.joined(separator: " ")
    }
}

func writeJSON(_ records: [BenchRecord], to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try writeFileAtomically(Array(try encoder.encode(records)), to: path)
}
