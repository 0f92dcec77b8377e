import CBLAS
import Foundation

/// The best rates a device reaches, measured in the run that uses them: the two ceilings every kernel's achieved
/// GFLOP/s and GB/s is read against (`simile-bench`'s heading and records, a trace's kernel table and roofline).
/// On an OpenCL device, its FP32 multiply-add rate and float4 copy bandwidth (peak.cl); on the CPU backend,
/// OpenBLAS's sgemm rate and a memcpy's bandwidth over every core.
public struct DevicePeaks: Sendable, CustomStringConvertible {
    public let gflops: Double
    public let gbps: Double
    /// What each was measured with ("FP32 FMA", "float4 copy of 256 MiB").
    public let computeSource: String
    public let bandwidthSource: String

    public init(gflops: Double, gbps: Double, computeSource: String, bandwidthSource: String) {
        (self.gflops, self.gbps, self.computeSource, self.bandwidthSource) = (gflops, gbps, computeSource, bandwidthSource)
    }

    /// "FP32 FMA 812.3 GFLOP/s, float4 copy of 256 MiB 21.4 GB/s".
    public var description: String {
        String(format: "%@ %.1f GFLOP/s, %@ %.1f GB/s", computeSource, gflops, bandwidthSource, gbps)
    }

    /// Measures `device`'s peaks (a second or two); on the CPU, `sgemmPeak` is taken for OpenBLAS's rate when the
    /// caller has just measured it.
    public static func measure(on device: Device, sgemmPeak: Double? = nil) throws -> DevicePeaks {
        switch device.backend {
        case .cpu:
            return DevicePeaks(gflops: sgemmPeak ?? measureSgemmPeak(), gbps: measureMemcpyBandwidth(),
                               computeSource: "OpenBLAS sgemm 2048³", bandwidthSource: "memcpy of 256 MiB")
        case .opencl(let cl):
            let copyBytes = cl.copyPeakBytes
            return DevicePeaks(gflops: try cl.measureFMAPeak(), gbps: try cl.measureCopyBandwidth(bytes: copyBytes),
                               computeSource: "FP32 FMA", bandwidthSource: "float4 copy of \(formatBytes(copyBytes))")
        }
    }
}

/// This machine's OpenBLAS sgemm rate in GFLOP/s: the best of several n³ products (after warm-up).
public func measureSgemmPeak(side n: Int = 2048, repeats: Int = 5) -> Double {
    let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
    var c = [Float](repeating: 0, count: n * n)
    var best = 0.0
    for run in 0..<(repeats + 1) {
        let start = hostNanoseconds()
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b, Int32(n),
                    0, &c, Int32(n))
        let seconds = Double(hostNanoseconds() - start) * 1e-9
        if run > 0 { best = max(best, 2 * Double(n * n * n) / seconds * 1e-9) }
    }
    return best
}

/// The host's copy bandwidth in GB/s (bytes read plus bytes written): the best of several copies of `bytes` split
/// over every core in parallel, after a first copy that also faults the pages in.
func measureMemcpyBandwidth(bytes: Int = 256 << 20, repeats: Int = 5) -> Double {
    let source = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    let destination = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    defer {
        source.deallocate()
        destination.deallocate()
    }
    memset(source, 1, bytes)
    let parts: Int
    if case .cpu(let cpu) = Device.cpu.backend { parts = cpu.threads } else { parts = 1 }
    let part = (bytes / parts + 63) / 64 * 64
    var best = 0.0
    for run in 0..<(repeats + 1) {
        let start = hostNanoseconds()
        DispatchQueue.concurrentPerform(iterations: parts) { index in
            let offset = min(index * part, bytes)
            memcpy(destination + offset, source + offset, min(part, bytes - offset))
        }
        let seconds = Double(hostNanoseconds() - start) * 1e-9
        if run > 0 { best = max(best, 2 * Double(bytes) / seconds * 1e-9) }
    }
    return best
}
