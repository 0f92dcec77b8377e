import COpenCL
import Kernels

/// The OpenCL contrastive-loss kernels in the two shapes of the GEMM (`GemmKernel`): register blocks per
/// work-item for CPU devices, local-memory tiles for GPUs, chosen from the device type.
struct ContrastiveLossVariant {
    let kernel: GemmKernel
    /// Rows of U a work-item (blocked) or work-group (tiled) owns.
    let rowBlock: Int
    /// Columns per block = rows per packed panel of U; a multiple of `rowBlock`, so one packed copy of U
    /// serves both operands of U Uᵀ.
    let columnBlock: Int
    /// The packed depth is d rounded up to a multiple of this.
    let kStep: Int
    let localSize: [Int]
    let options: String
    let source: String

    /// The blocked variant's register block is `KernelShapes.contrastiveBlock`. A work-item owns a whole packed panel (NR rows, as NR/MR register blocks), so each column block of U it loads is
    /// used NR/MR times from L1 (measured on PoCL: no slower at N = 4096, up to ~30% less CPU time at
    /// N = 8192 where the packed U (8 MiB) leaves L2; noisy on the shared machine). The tiled
    /// variant uses the GEMM's tiles (`KernelShapes.gpuTile`): 64×64, 16-deep local-memory stages and 4×4
    /// register blocks (256 work-items).
    init(_ kernel: GemmKernel, device: CLDeviceInfo) {
        self.kernel = kernel
        switch kernel {
        case .blockedCPU:
            let shapes = KernelShapes(device)
            let ((mr, nr), vw) = (shapes.contrastiveBlock, shapes.vectorWidth)
            (rowBlock, columnBlock, kStep, localSize) = (nr, nr, 1, [1])
            options = "-DMR=\(mr) -DNR=\(nr) -DVW=\(vw) -DRB=\(nr / mr)"
            source = KernelSource.contrastiveLossBlockedCPU
        case .tiledGPU:
            let (tile, depth, block) = KernelShapes.gpuTile
            (rowBlock, columnBlock, kStep, localSize) = (tile, tile, depth, [tile / block, tile / block])
            options = "-DT=\(tile) -DTK=\(depth) -DW=\(block)"
            source = KernelSource.contrastiveLossTiledGPU
        }
    }

    /// The global size of the forward and backward kernels for M rows.
    func globalSize(rows m: Int) -> [Int] {
        let rowBlocks = (m + rowBlock - 1) / rowBlock
        switch kernel {
        case .blockedCPU: return [rowBlocks]
        case .tiledGPU: return [localSize[0], rowBlocks * localSize[1]]
        }
    }

    /// Rows of U after padding to whole column blocks.
    func paddedRows(_ m: Int) -> Int { roundUp(m, columnBlock) }

    /// Extra device bytes besides z and dz for M rows of d features: U and dU (M·d each), the packed U
    /// (padded rows · d), and the per-row norms, shifts, sums, alignments and coefficients, each image's coefficient
    /// on its positives and the loss (O(M)).
    func extraBytes(rows m: Int, features d: Int) -> Int {
        let padded = paddedRows(m)
        return (2 * m * d + padded * roundUp(d, kStep) + 4 * m + padded + m / 2 + 1) * MemoryLayout<Float>.stride
    }
}

/// Extra device bytes the OpenCL contrastive loss needs on `device` for a (M × d) input besides z and
/// its gradient: O(M·d), independent of M².
public func contrastiveLossOpenCLExtraBytes(rows m: Int, features d: Int, on device: CLDeviceInfo) -> Int {
    ContrastiveLossVariant(.preferred(for: device.type), device: device).extraBytes(rows: m, features: d)
}

/// The fused OpenCL contrastive loss: L2 normalisation, U packed once, the row shifts (1/τ where that is
/// exact, else a max pass over the row's denominator: see `LogitShift`), the forward's sums of each row's
/// negatives (the positive apart, as on the CPU: see `contrastiveLossCPU`), the loss and backward coefficients
/// (one work-item), the backward into dU, then the L2-normalisation backward (see
/// Kernels/contrastive_loss_blocked_cpu.cl, contrastive_loss_tiled_gpu.cl and contrastive_loss_finish.cl).
/// Everything is enqueued: the loss is written into the one-element `loss` on the device, and dz is returned.
func contrastiveLossOpenCL(_ cl: OpenCLBackend, _ z: Tensor, method: ContrastiveMethod, temperature: Float,
                           sigma: Float, kernel: GemmKernel, loss: Tensor) throws -> Tensor {
    let m = z.shape[0], d = z.shape[1], n = m / 2
    let variant = ContrastiveLossVariant(kernel, device: cl.info)
    let padded = variant.paddedRows(m)
    let (u, norms) = try l2Normalize(z)
    let packed = try cl.pack(u, rows: m, depth: d, paddedDepth: roundUp(d, variant.kStep), transpose: false,
                             panel: variant.columnBlock)
    func launch(_ name: String, _ arguments: [KernelArgument]) throws {
        let kernel = try cl.kernel(name, program: "contrastive_loss_\(variant.kernel.rawValue)",
                                   source: variant.source, options: variant.options)
        try cl.launch(kernel, name: "\(name)(\(variant.kernel.rawValue))", global: variant.globalSize(rows: m),
                      local: variant.localSize, arguments)
    }
    let inverseTemperature = 1 / temperature
    let fixedShift = LogitShift.fixedShiftIsExact(temperature: temperature)

    let shifts = try Tensor.full([m], inverseTemperature, on: z.device)
    if !fixedShift {
        try launch("contrastive_row_max", [.buffer(packed), .int(m), .int(d), .int(method.excludesPositive ? 1 : 0),
                                           .float(inverseTemperature), .buffer(shifts.clBuffer)])
    }
    let partition = try Tensor(uninitialized: [m], on: z.device)
    let alignment = try Tensor(uninitialized: [m], on: z.device)
    try launch("contrastive_forward", [.buffer(packed), .buffer(u.clBuffer), .int(m), .int(d),
                                       .float(inverseTemperature), .buffer(shifts.clBuffer),
                                       .buffer(partition.clBuffer), .buffer(alignment.clBuffer)])

    let coefficients = try Tensor.zeros([padded], on: z.device)
    let partners = try Tensor(uninitialized: [n], on: z.device) // each image's coefficient on its positives
    let finish = try cl.kernel("contrastive_finish", program: "contrastive_loss_finish",
                               source: KernelSource.contrastiveLossFinish)
    try cl.launch(finish, name: "contrastive_finish", global: [1], local: [1],
                  [.buffer(partition.clBuffer), .buffer(shifts.clBuffer), .buffer(alignment.clBuffer), .int(m),
                   .int(method == .ntxent ? 1 : 0), .int(method == .dclw ? 1 : 0), .int(fixedShift ? 1 : 0),
                   .float(inverseTemperature), .float(1 / sigma), .buffer(coefficients.clBuffer),
                   .buffer(partners.clBuffer), .buffer(loss.clBuffer)])

    let dU = try Tensor(uninitialized: [m, d], on: z.device)
    try launch("contrastive_backward", [.buffer(packed), .buffer(u.clBuffer), .int(m), .int(d),
                                        .float(inverseTemperature), .int(fixedShift ? 1 : 0),
                                        .buffer(coefficients.clBuffer), .buffer(partners.clBuffer),
                                        .float(1 / (Float(m) * temperature)), .buffer(dU.clBuffer)])
    return try l2NormalizeBackward(y: u, norms: norms, gradient: dU)
}
