import Foundation
import Simile

/// Timings of one case: wall-clock seconds per run (enqueue to finished), on OpenCL the device
/// time of the kernels from profiling events, and the process's peak resident memory while it ran, with on OpenCL
/// the peak of the device memory in buffers.
struct Measurement {
    let wall: [Double]
    let kernel: [Double]?
    let peakResidentBytes: Int?
    let peakDeviceBytes: Int?

    var medianWall: Double { median(wall) }
    var minWall: Double { wall.min() ?? .nan }
    var medianKernel: Double? { kernel.map(median) }
}

/// Runs `benchCase` `warmup` times untimed, then `repeats` times timed, each of those recorded by `trace` (when
/// given) as a span "KERNEL SIZE on DEVICE" with the kernels it launched.
func measure(_ benchCase: BenchCase, on device: Device, warmup: Int, repeats: Int,
             trace: TraceRecorder? = nil) throws -> Measurement {
    PeakMemory.reset()
    if case .opencl(let cl) = device.backend { cl.resetPeakMemory() }
    for _ in 0..<warmup {
        try benchCase.run()
        try device.synchronize()
    }
    var wall: [Double] = [], kernel: [Double] = []
    for _ in 0..<repeats {
        trace?.start()
        defer { trace?.stop() }
        let start = DispatchTime.now().uptimeNanoseconds
        try TraceRecorder.span("\(benchCase.kernel) \(benchCase.size) on \(device.identifier)", .step) {
            if case .opencl(let cl) = device.backend {
                kernel.append(try cl.profileKernels { try benchCase.run() })
            } else {
                try benchCase.run()
            }
        }
        wall.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
    }
    var peakDeviceBytes: Int?
    if case .opencl(let cl) = device.backend { peakDeviceBytes = cl.memory.peak }
    return Measurement(wall: wall, kernel: kernel.isEmpty ? nil : kernel, peakResidentBytes: PeakMemory.peakResidentBytes(),
                       peakDeviceBytes: peakDeviceBytes)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}
