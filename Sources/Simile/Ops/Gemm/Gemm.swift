import CBLAS
import Kernels

/// C = alpha · op(A) · op(B) + beta · C, in place, for row-major matrices. op(X) is X or its transpose;
/// op(A) is M×K, op(B) is K×N and C is M×N. With beta = 0, C is not read (it may hold anything).
/// `kernel` forces an OpenCL variant with its built-in parameters; by default `gemmVariant` (below) picks the
/// device's tensor cores in tf32, its tuned parameters for the shape's class, or the device type's defaults.
public func gemm(_ a: Tensor, _ b: Tensor, into c: Tensor, transposeA: Bool = false, transposeB: Bool = false,
                 alpha: Float = 1, beta: Float = 0, kernel: GemmKernel? = nil) throws {
    let forced = kernel.flatMap { kernel in c.device.openCLInfo.map { GemmVariant(kernel, device: $0) } }
    try gemm(a, b, into: c, transposeA: transposeA, transposeB: transposeB, alpha: alpha, beta: beta, variant: forced)
}

/// `gemm` with the OpenCL `variant` forced, and its number of K `slices` (tests, the tuner's check and the
/// tensor-core probe reach every configuration and every split through it).
func gemm(_ a: Tensor, _ b: Tensor, into c: Tensor, transposeA: Bool, transposeB: Bool, alpha: Float, beta: Float,
          variant forced: GemmVariant?, slices: Int? = nil) throws {
    let (m, n, k) = try gemmDimensions(a, b, c, transposeA: transposeA, transposeB: transposeB)
    guard m > 0, n > 0 else { return }
    switch c.device.backend {
    case .cpu:
        guard k > 0 else {
            let product = c.hostPointer
            for i in 0..<c.count { product[i] = beta == 0 ? 0 : beta * product[i] }
            return
        }
        tracedSgemm("gemm", CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k), alpha, a.hostPointer,
                    Int32(a.shape[1]), b.hostPointer, Int32(b.shape[1]), beta, c.hostPointer, Int32(n))
    case .opencl(let cl):
        let variant = forced ?? cl.gemmVariant(m: m, n: n, k: k)
        let depth = roundUp(k, variant.kStep)
        let packedA = try cl.pack(a, rows: m, depth: k, paddedDepth: depth, transpose: transposeA,
                                  panel: variant.aPanel)
        let packedB = try cl.pack(b, rows: n, depth: k, paddedDepth: depth, transpose: !transposeB,
                                  panel: variant.bPanel)
        try cl.gemmPacked(variant, packedA, packedB, into: c.clBuffer, m: m, n: n, depth: depth, ldc: n,
                          alpha: alpha, beta: beta, slices: slices)
    }
}

/// op(A) · op(B) as a new M×N tensor.
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false,
                   kernel: GemmKernel? = nil) throws -> Tensor {
    try requireRank("matmul", a, 2, name: "A")
    try requireRank("matmul", b, 2, name: "B")
    let m = transposeA ? a.shape[1] : a.shape[0]
    let n = transposeB ? b.shape[0] : b.shape[1]
    let c = try Tensor(uninitialized: [m, n], on: a.device)
    try gemm(a, b, into: c, transposeA: transposeA, transposeB: transposeB, kernel: kernel)
    return c
}

/// (M, N, K) of a GEMM, or an error naming all three shapes.
private func gemmDimensions(_ a: Tensor, _ b: Tensor, _ c: Tensor,
                            transposeA: Bool, transposeB: Bool) throws -> (Int, Int, Int) {
    try requireRank("gemm", a, 2, name: "A")
    try requireRank("gemm", b, 2, name: "B")
    try requireRank("gemm", c, 2, name: "C")
    try requireSameDevice("gemm", a, b, c)
    let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
    let (kB, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
    guard k == kB, c.shape == [m, n] else {
        let opA = transposeA ? "Aᵀ" : "A", opB = transposeB ? "Bᵀ" : "B"
        throw SimileError.shapeMismatch(
            op: "gemm", detail: "\(opA) with A \(a.shape) times \(opB) with B \(b.shape) into C \(c.shape)")
    }
    return (m, n, k)
}

extension OpenCLBackend {
    /// The GEMM variant for op(A) M×K · op(B) K×N on this device: `kernel`'s built-in parameters when one is
    /// forced, else the tensor cores in tf32 (`Device.setPrecision`), else the tuned parameters of the shape's class,
    /// else the device type's defaults.
    func gemmVariant(m: Int, n: Int, k: Int, forcing kernel: GemmKernel? = nil) -> GemmVariant {
        if let kernel { return GemmVariant(kernel, device: info) }
        if precision == .tf32 { return .tensorCores }
        return GemmVariant(tuning.parameters[GemmShapeClass(m: m, n: n, k: k)]
                           ?? .defaults(.preferred(for: info.type), device: info))
    }

    /// Packs the rows×depth operand X (X = source, or sourceᵀ when `transpose`) into zero-padded panels of
    /// `panel` rows, k-major inside each panel (see gemm_pack.cl). Returns a pooled buffer.
    func pack(_ source: Tensor, rows: Int, depth: Int, paddedDepth: Int, transpose: Bool,
                          panel: Int) throws -> CLBuffer {
        let paddedRows = roundUp(rows, panel)
        let packed = try pool.buffer(bytes: paddedRows * paddedDepth * MemoryLayout<Float>.stride)
        guard paddedDepth > 0 else { return packed }
        let kernel = try kernel("gemm_pack", program: "gemm_pack", source: KernelSource.gemmPack)
        try launch(kernel, name: "gemm_pack", global: [panel, paddedRows / panel * paddedDepth],
                   [.buffer(source.clBuffer), .int(rows), .int(depth), .int(source.shape[1]), .int(transpose ? 1 : 0),
                    .buffer(packed), .int(panel), .int(paddedDepth)])
        return packed
    }

    /// C = alpha · A·B + beta · C for C M×N with leading dimension `ldc`, from operands packed for `variant`
    /// with padded depth `depth` (see gemm_pack.cl). K is split into `slices` (by default as `variant.split`
    /// chooses for this device): each slice's product goes to its own partial M×N buffer, and
    /// gemm_split_k_reduce sums them in slice order into C (deterministic, unlike atomics).
    func gemmPacked(_ variant: GemmVariant, _ packedA: CLBuffer, _ packedB: CLBuffer, into c: CLBuffer, m: Int, n: Int,
                    depth: Int, ldc: Int, alpha: Float, beta: Float, slices forced: Int? = nil) throws {
        let compute = try kernel("gemm_packed", program: variant.program, source: variant.source,
                                 options: variant.options)
        let (slices, sliceDepth) = forced.map { variant.split(depth: depth, into: $0) }
            ?? variant.split(m: m, n: n, depth: depth, computeUnits: info.computeUnits)
        let name = "gemm_packed(\(variant.tf32 ? "mma-tf32" : variant.kernel.rawValue))"
        gemmShapeLog?.record(GemmShape(m: m, n: n, k: depth))
        guard slices > 1 else {
            try launch(compute, name: name, global: variant.globalSize(m: m, n: n, slices: 1), local: variant.localSize,
                       flops: 2 * m * n * depth,
                       [.buffer(packedA), .buffer(packedB), .buffer(c), .int(m), .int(n), .int(depth), .int(ldc),
                        .float(alpha), .float(beta), .int(depth), .int(0)])
            return
        }
        let partials = try pool.buffer(bytes: slices * m * n * MemoryLayout<Float>.stride)
        try launch(compute, name: name, global: variant.globalSize(m: m, n: n, slices: slices), local: variant.localSize,
                   flops: 2 * m * n * depth,
                   [.buffer(packedA), .buffer(packedB), .buffer(partials), .int(m), .int(n), .int(depth), .int(n),
                    .float(1), .float(0), .int(sliceDepth), .int(m * n)])
        let reduce = try kernel("gemm_split_k_reduce", program: "gemm_split_k", source: KernelSource.gemmSplitK)
        try launch(reduce, name: "gemm_split_k_reduce", global: [n, m], flops: slices * m * n,
                   [.buffer(partials), .int(slices), .int(m), .int(n), .buffer(c), .int(ldc), .float(alpha),
                    .float(beta)])
    }
}
