import Foundation
import Testing
@testable import Simile

/// The TF32 tensor-core path: refused with its reason where it cannot run; on an NVIDIA device of compute capability
/// 8.0 or later, every product within TF32's rounding of float64.
@Suite struct TensorCoreTests {
    @Test("tf32 is refused with the reason on the CPU and on a device that is not a recent NVIDIA GPU; fp32 stands")
    func refusedWhereItCannotRun() throws {
        expectError(.invalidArgument("--precision tf32 runs on NVIDIA tensor cores through OpenCL; \(Device.cpu) "
                                     + "computes in fp32 only")) { try Device.cpu.setPrecision(.tf32) }
        try Device.cpu.setPrecision(.fp32)
        #expect(Device.cpu.precision == .fp32)
        guard let device = try TestBackend.opencl.open(), let cl = device.openCL else { return }
        guard !cl.info.vendor.uppercased().contains("NVIDIA") else { return }
        expectError(.invalidArgument("--precision tf32 runs on NVIDIA tensor cores through inline PTX; "
                                     + "opencl:\(cl.info.index) (\(cl.info.name)) is a \(cl.info.vendor) device: "
                                     + "use fp32")) { try device.setPrecision(.tf32) }
        #expect(device.precision == .fp32)
    }

    @Test("TF32's bound: a product right to TF32 is within it, one off by a few ulps of TF32 is not")
    func boundCanFail() {
        let (m, n, k) = (3, 4, 5)
        let a = randomValues(m * k, seed: 30), b = randomValues(k * n, seed: 31)
        var exact = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { for p in 0..<k { exact[i * n + j] += a[i * k + p] * b[p * n + j] } } }
        #expect(OpenCLBackend.tf32Excess(exact, a, b, m: m, n: n, k: k) <= 1)
        var wrong = exact
        wrong[5] += 0.05
        #expect(OpenCLBackend.tf32Excess(wrong, a, b, m: m, n: n, k: k) > 1)
    }

    @Test("on NVIDIA compute capability ≥ 8.0: GEMMs and a convolution in tf32 are within TF32's bound")
    func tensorCoreProducts() throws {
        let nvidia = try CLDeviceInfo.all().first { info in
            info.vendor.uppercased().contains("NVIDIA") && (info.nvidiaComputeCapability()?.major ?? 0) >= 8
        }
        guard let info = nvidia else {
            print("note: no NVIDIA OpenCL device of compute capability 8.0 or later here; the TF32 tensor-core "
                  + "products are not tested on this machine (the refusal elsewhere is)")
            return
        }
        let device = Device(.opencl(try OpenCLBackend(info)))
        try device.setPrecision(.tf32)
        for (m, n, k) in [(1, 1, 1), (65, 63, 17), (128, 200, 300), (9, 30, 5000)] {
            let a = randomValues(m * k, seed: 32), b = randomValues(k * n, seed: 33)
            let c = try Tensor(uninitialized: [m, n], on: device)
            try gemm(Tensor(a, shape: [m, k], on: device), Tensor(b, shape: [k, n], on: device), into: c)
            let excess = OpenCLBackend.tf32Excess(try c.toArray(), a, b, m: m, n: n, k: k)
            #expect(excess <= 1, "\(m)x\(n)x\(k): \(excess)× TF32's bound")
        }
        let g = ConvGeometry(batch: 4, inChannels: 16, height: 9, width: 9, outChannels: 24, kernelHeight: 3,
                             kernelWidth: 3, stride: 1, padding: 1)
        let x = randomValues(g.batch * g.inChannels * g.height * g.width, seed: 34)
        let w = randomValues(g.outChannels * g.patch, seed: 35)
        let y = try conv2d(Tensor(x, shape: g.inputShape, on: device), weight: Tensor(w, shape: g.weightShape, on: device),
                           bias: nil, stride: 1, padding: 1)
        let expected = Reference.conv2d(x.map(Double.init), weight: w.map(Double.init), bias: nil, g)
        // Each output is a sum of 144 products of values in [-1, 1): TF32's bound is 1.1 · 2⁻¹⁰ · 144 at most.
        let error = zip(try y.toArray(), expected).map { abs(Double($0) - $1) }.max() ?? 0
        #expect(error <= 1.1 * 0x1p-10 * 144)
    }
}
