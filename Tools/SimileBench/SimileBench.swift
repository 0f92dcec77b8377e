import ArgumentParser
import Foundation
import Simile
import SimileCommandLine

@main
struct SimileBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simile-bench",
        abstract: "Time Simile's kernels on each backend against this machine's OpenBLAS sgemm peak and each device's own peaks.")

    /// OpenBLAS may have picked too old a CPU core's kernels (`OpenBLASCore`): then this starts again with the
    /// right one before anything else runs.
    static func main() {
        OpenBLASCore.relaunchWithCorrectedCore()
        main(nil)
    }

    @Option(help: "gemm, \(BenchKernel.allCases.dropFirst().map(\.rawValue).joined(separator: ", ")) or all.")
    var kernel = "gemm"

    @OptionGroup var device: DevicesOption
    @OptionGroup var precision: PrecisionOption

    // Numeric options parse `.unconditional`ly, so that "-5" reaches `validate` instead of reading as a flag.
    @Option(parsing: .unconditional, help: """
        Comma-separated sizes: GEMM runs n×n×n, elementwise kernels and reductions n×n elements, losses N images, \
        models a batch of n, augment, decode-jpeg, decode (its step n/4), train-step and allreduce's steps n images. Default: each kernel's own list (matrices \
        256,1024,2048; losses 256,1024,4096,8192; convolutions, batch-norm, pooling, augment, decode-jpeg, decode and train-step \
        256; resnet18-cifar 512; negative-cosine 512 (d = 2048); \
        knn 10000 test rows against 50000 train rows; bank-rows 256,1024 rows of a 16384×128 bank; sinkhorn \
        256,1024 samples against 3000 prototypes; triplet 256,1024,4096 images; cut-patches 256 images; bank-loss 256,1024 queries against banks of 10000 and 65536 rows; allreduce 128 images a step).
        """)
    var size: String?

    @Option(name: .customLong("repeat"), parsing: .unconditional, help: "Timed runs per case (after one warm-up run).")
    var repeats: Int = 5

    @Option(help: "OpenCL GEMM variants: all, or one of \(GemmKernel.allCases.map(\.rawValue).joined(separator: ", ")).")
    var gemmVariant = "all"

    @Option(help: "Also write the records as a JSON array to this file (default: not written).")
    var json: String?

    @Option(help: "Also write a Chrome/Perfetto trace of the timed runs (JSON) to this file and roofline.svg beside it, and print their kernel table (default: not written).")
    var trace: String?

    @Option(help: "train-step's methods, beside SimCLR's step: comma-separated names (\(MethodRegistry.names.joined(separator: ", ")), or a method with a setting of its own (\(BenchKernel.trainStepVariants.keys.sorted().joined(separator: ", "))), or all (default: simclr alone).")
    var method = "simclr"

    /// `--method` as names.
    private var methods: [String] {
        method == "all" ? MethodRegistry.names : method.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeat must be at least 1, got \(repeats)") }
        guard kernel == "all" || BenchKernel(rawValue: kernel) != nil else {
            throw ValidationError("unknown kernel '\(kernel)'")
        }
        guard gemmVariant == "all" || GemmKernel(rawValue: gemmVariant) != nil else {
            throw ValidationError("unknown GEMM variant '\(gemmVariant)'")
        }
        if let size, let sides = requestedSizes {
            guard sides.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw ValidationError("--size takes positive integers separated by commas, got '\(size)'")
            }
            // Sizes are matrix sides: n×n must be countable before any tensor's own checks can run.
            if let side = sides.compactMap({ $0 }).first(where: { $0.multipliedReportingOverflow(by: $0).overflow }) {
                throw ValidationError("--size \(side) is too large: an n×n matrix would have more than \(Int.max) elements")
            }
        }
        for name in methods where BenchKernel.trainStepVariants[name] == nil {
            try asValidationError { _ = try MethodRegistry.entry(named: name) }
        }
        try validateTracePath(trace, besides: [(json, "--json")])
    }

    /// `--size` split at commas, nil where an entry is not an integer; nil when `--size` is not given.
    private var requestedSizes: [Int?]? {
        size?.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    func run() throws {
        if let status = try BenchKernel.relaunchUnderMPI(kernel: kernel) { throw ExitCode(status) }
        // Under mpirun, rank 0 reports; the other ranks only take part in the collectives.
        if let rank = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_RANK"], rank != "0" {
            _ = freopen("/dev/null", "w", stdout)
        }
        let devices = try device.open()
        try devices.forEach(precision.apply)
        // allreduce needs processes of its own: `all` names it at the end instead.
        let kernels = kernel == "all" ? BenchKernel.allCases.filter { $0 != .allreduce }
            : [BenchKernel(rawValue: kernel)!]
        var peak: Double?
        var devicePeaks: [String: DevicePeaks] = [:]
        let recorder = trace.map { _ in TraceRecorder() }
        var tracedSeconds = 0.0
        var table = ReportTable()
        var records: [BenchRecord] = []
        for benchKernel in kernels {
            for n in requestedSizes?.compactMap({ $0 }) ?? benchKernel.defaultSizes {
                for device in devices {
                    let cases = try benchKernel.cases(n: n, on: device, gemmKernels: gemmKernels(for: device),
                                                      methods: methods)
                    let peakGflops = try peak ?? printHeading(devices, peaks: &devicePeaks)
                    peak = peakGflops
                    for benchCase in cases {
                        let measurement = try measure(benchCase, on: device, warmup: 1, repeats: repeats, trace: recorder)
                        if recorder != nil { tracedSeconds += measurement.wall.reduce(0, +) }
                        let record = BenchRecord(benchCase, device: device.identifier, measurement, peakGflops: peakGflops,
                                                 devicePeaks: devicePeaks[device.identifier])
                        print(table.line(record))
                        if let note = benchCase.note { print(note()) }
                        records.append(record)
                    }
                }
            }
        }
        if let peak {
            // The machine's speed can drift during a long run (shared hosts); a second measurement shows by how much.
            let end = measureSgemmPeak()
            print(String(format: "\nsgemm peak again at the end of the run: %.1f GFLOP/s (%.2f× the one the table uses)",
                         end, end / peak))
        }
        if kernels.contains(.augment) { augmentationShare(records).forEach { print("\n" + $0) } }
        if kernels.contains(.trainStep) { trainStepShare(records).forEach { print("\n" + $0) } }
        if kernels.contains(.allreduce) { allreduceShare(records).forEach { print("\n" + $0) } }
        if kernels.contains(.decode) { decodeShare(records).forEach { print("\n" + $0) } }
        if kernel == "all" { print("\nallreduce runs in processes of its own: simile-bench --kernel allreduce") }
        if let json {
            try writeJSON(records, to: json)
            print("\nwrote \(records.count) records to \(json)")
        }
        if let recorder, let trace {
            try writeTraceReport(recorder, to: trace, wallSeconds: tracedSeconds, peaks: devicePeaks,
                                 title: "simile-bench --kernel \(kernel), the timed runs")
        }
    }

    /// Measures the sgemm peak and each device's own peaks (`DevicePeaks`, into `peaks`) and prints them, the devices
    /// and the table header; returns the sgemm peak. It runs once the first cases are built, so that a size a device
    /// cannot hold fails at once, not after seconds of sgemm.
    private func printHeading(_ devices: [Device], peaks: inout [String: DevicePeaks]) throws -> Double {
        let peak = measureSgemmPeak()
        print(String(format: "OpenBLAS sgemm peak on this machine (2048³, best of 5): %.1f GFLOP/s", peak))
        for device in devices {
            let measured = try DevicePeaks.measure(on: device, sgemmPeak: peak)
            peaks[device.identifier] = measured
            print(String(format: "peaks of %@: %@ (%.2f× the sgemm peak)", device.identifier, measured.description,
                         measured.gflops / peak))
        }
        if case .cpu(let cpu) = Device.cpu.backend {
            print("BLAS: \(cpu.blasDescription); CPU loops in \(cpu.instructionSet.rawValue)")
        }
        print("devices: \(devices.map(\.description).joined(separator: "; "))"
              + (precision.precision == .tf32 ? " in tf32 (tensor cores)" : "") + "\n")
        print(ReportTable.header)
        return peak
    }

    /// On OpenCL every requested variant; on the CPU, OpenBLAS (nil).
    private func gemmKernels(for device: Device) -> [GemmKernel?] {
        guard device.openCLInfo != nil else { return [nil] }
        return gemmVariant == "all" ? GemmKernel.allCases : [GemmKernel(rawValue: gemmVariant)!]
    }
}
