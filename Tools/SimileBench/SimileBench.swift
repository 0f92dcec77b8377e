import ArgumentParser
import Foundation
import Simile

@main
struct SimileBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simile-bench",
        abstract: "Time Simile's kernels on each backend against this machine's OpenBLAS sgemm peak.")

    @Option(help: "gemm, \(BenchKernel.allCases.dropFirst().map(\.rawValue).joined(separator: ", ")) or all.")
    var kernel = "gemm"

    @Option(help: "all, cpu, opencl or opencl:N.")
    var device = "all"

    @Option(help: """
        Comma-separated sizes: GEMM runs n×n×n, elementwise kernels and reductions n×n elements, losses N images, \
        models a batch of n. Default: each kernel's own list (matrices 256,1024,2048; losses 256,1024,4096,8192; \
        convolutions, batch-norm and pooling 256; resnet18-cifar 512).
        """)
    var size: String?

    @Option(name: .customLong("repeat"), help: "Timed runs per case (after one warm-up run).")
    var repeats: Int = 5

    @Option(help: "OpenCL GEMM variants: all, or one of \(GemmKernel.allCases.map(\.rawValue).joined(separator: ", ")).")
    var gemmVariant = "all"

    @Option(help: "Also write the records as a JSON array to this file.")
    var json: String?

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeat must be at least 1") }
        guard kernel == "all" || BenchKernel(rawValue: kernel) != nil else {
            throw ValidationError("unknown kernel '\(kernel)'")
        }
        guard gemmVariant == "all" || GemmKernel(rawValue: gemmVariant) != nil else {
            throw ValidationError("unknown GEMM variant '\(gemmVariant)'")
        }
        if let size {
            let sides = size.split(separator: ",", omittingEmptySubsequences: false)
                .map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard sides.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw ValidationError("--size takes positive integers separated by commas, got '\(size)'")
            }
        }
    }

    /// The sizes to run `kernel` at: `--size`, or the kernel's defaults.
    private func sides(for kernel: BenchKernel) -> [Int] {
        size.map { $0.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
            ?? kernel.defaultSizes
    }

    func run() throws {
        let devices = try selectedDevices()
        let kernels = kernel == "all" ? BenchKernel.allCases : [BenchKernel(rawValue: kernel)!]
        let peak = measureSgemmPeak()
        print(String(format: "OpenBLAS sgemm peak on this machine (2048³, best of 5): %.1f GFLOP/s", peak))
        if case .cpu(let cpu) = Device.cpu.backend { print("BLAS: \(cpu.blasDescription)") }
        print("devices: \(devices.map(\.description).joined(separator: "; "))\n")
        print(ReportTable.header)
        var table = ReportTable()
        var records: [BenchRecord] = []
        for benchKernel in kernels {
            for n in sides(for: benchKernel) {
                for device in devices {
                    for benchCase in try benchKernel.cases(n: n, on: device, gemmKernels: gemmKernels(for: device)) {
                        let measurement = try measure(benchCase, on: device, warmup: 1, repeats: repeats)
                        let record = BenchRecord(benchCase, device: device.identifier, measurement, peakGflops: peak)
                        print(table.line(record))
                        records.append(record)
                    }
                }
            }
        }
        if let json {
            try writeJSON(records, to: json)
            print("\nwrote \(records.count) records to \(json)")
        }
    }

    private func selectedDevices() throws -> [Device] {
        guard device == "all" else { return [try Device.open(DeviceSpec(parsing: device))] }
        return [Device.cpu] + (try CLDeviceInfo.all().map { try Device.open(.opencl(index: $0.index)) })
    }

    /// On OpenCL every requested variant; on the CPU, OpenBLAS (nil).
    private func gemmKernels(for device: Device) -> [GemmKernel?] {
        guard device.openCLInfo != nil else { return [nil] }
        return gemmVariant == "all" ? GemmKernel.allCases : [GemmKernel(rawValue: gemmVariant)!]
    }
}
