import COpenCL
import Kernels

/// How GEMMs and convolutions multiply on an OpenCL device.
public enum Precision: String, CaseIterable, Sendable {
    /// Every product exact to float32 (the default, and the CPU backend's only mode).
    case fp32
    /// Operands rounded to TF32 (10 mantissa bits) and products summed in float32 on NVIDIA tensor cores
    /// (compute capability ≥ 8.0), through inline PTX (Kernels/gemm_mma_tf32.cl): PyTorch's default for cuDNN
    /// convolutions. Forced GEMM variants (`gemm(kernel:)`, the bench's variants) stay fp32.
    case tf32
}

extension Device {
    /// This device's precision (`setPrecision`); fp32 until set.
    public var precision: Precision {
        if case .opencl(let cl) = backend { return cl.precision }
        return .fp32
    }

    /// Makes the device's GEMMs and convolutions run in `precision`. tf32 is refused with the reason where it cannot
    /// run: on the CPU backend, on a device that is not NVIDIA's or older than compute capability 8.0, when the
    /// tensor-core program does not build (with the build log), or when its products miss float64 by more than
    /// TF32's rounding allows (no probe that passes, no path).
    public func setPrecision(_ precision: Precision) throws {
        switch backend {
        case .cpu where precision == .tf32:
            throw SimileError.invalidArgument("--precision tf32 runs on NVIDIA tensor cores through OpenCL; \(self) "
                                              + "computes in fp32 only")
        case .cpu:
            return
        case .opencl(let cl):
            if precision == .tf32 { try cl.probeTensorCores() }
            cl.precision = precision
        }
    }
}

extension GemmVariant {
    /// The tensor-core TF32 variant: the tiled kernel's packing (64×64 panels, 16-deep stages) and split-K, with
    /// gemm_mma_tf32.cl's four warps of mma.sync per group.
    static let tensorCores = GemmVariant(.tiled(tile: (64, 64), depth: 16, item: (4, 4), splitWaves: 4), tf32: true)
}

extension OpenCLBackend {
    /// Whether `device` can run the TF32 path, building its program and checking its products against float64; an
    /// error saying why not.
    func probeTensorCores() throws {
        let name = "opencl:\(info.index) (\(info.name))"
        guard info.vendor.uppercased().contains("NVIDIA") || info.platformName.uppercased().contains("NVIDIA") else {
            throw SimileError.invalidArgument("--precision tf32 runs on NVIDIA tensor cores through inline PTX; "
                                              + "\(name) is a \(info.vendor) device: use fp32")
        }
        guard let (major, minor) = info.nvidiaComputeCapability() else {
            throw SimileError.invalidArgument("--precision tf32: \(name) does not report its compute capability "
                                              + "(cl_nv_device_attribute_query): use fp32")
        }
        guard major >= 8 else {
            throw SimileError.invalidArgument("--precision tf32 needs tensor cores of compute capability 8.0 or "
                                              + "later (mma.sync with TF32); \(name) has \(major).\(minor): use fp32")
        }
        let (m, n, k) = (96, 80, 72)
        var generator = SeededGenerator(seed: 23)
        let a = (0..<m * k).map { _ in 2 * generator.nextUnitFloat() - 1 }
        let b = (0..<k * n).map { _ in 2 * generator.nextUnitFloat() - 1 }
        let device = Device(.opencl(self))
        var worst = 0.0
        for slices in [1, 3] {
            let c = try Tensor(uninitialized: [m, n], on: device)
            try gemm(Tensor(a, shape: [m, k], on: device), Tensor(b, shape: [k, n], on: device), into: c,
                     transposeA: false, transposeB: false, alpha: 1, beta: 0, variant: .tensorCores, slices: slices)
            worst = max(worst, Self.tf32Excess(try c.toArray(), a, b, m: m, n: n, k: k))
        }
        guard worst <= 1 else {
            throw SimileError.invalidArgument("--precision tf32: the tensor-core GEMM on \(name) missed float64 by "
                                              + "\(worst)× TF32's rounding bound; it is not used: use fp32")
        }
    }

    /// The largest ratio of |C − A·B| (A·B in float64) to TF32's bound for C M×N = A M×K · B K×N: each operand
    /// rounded to nearest with 10 mantissa bits (relative error ≤ 2⁻¹¹, so ≤ 2⁻¹⁰ per product, with a 10% margin
    /// for the float32 sums) of Σₖ |aᵢₖ bₖⱼ|, plus 1e-6. At most 1 where the product is right to TF32.
    static func tf32Excess(_ c: [Float], _ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) -> Double {
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var exact = 0.0, magnitude = 0.0
                for p in 0..<k {
                    let product = Double(a[i * k + p]) * Double(b[p * n + j])
                    exact += product
                    magnitude += abs(product)
                }
                let bound = 1.1 * 0x1p-10 * magnitude + 1e-6
                let error = abs(Double(c[i * n + j]) - exact)
                worst = max(worst, error.isNaN ? .infinity : error / bound)
            }
        }
        return worst
    }
}

extension CLDeviceInfo {
    /// An NVIDIA device's compute capability (cl_nv_device_attribute_query), or nil where the query is not answered.
    func nvidiaComputeCapability() -> (major: Int, minor: Int)? {
        let major: cl_device_info = 0x4000, minor: cl_device_info = 0x4001
        var values: [cl_uint] = [0, 0]
        for (index, query) in [major, minor].enumerated() {
            guard clGetDeviceInfo(id, query, MemoryLayout<cl_uint>.size, &values[index], nil) == CL_SUCCESS else {
                return nil
            }
        }
        return (Int(values[0]), Int(values[1]))
    }
}
