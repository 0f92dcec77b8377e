import Kernels

/// A memory-bank variant with concrete parameters: how the queries are packed and the fused kernels launched.
struct MemoryBankVariant {
    let kernel: GemmKernel
    let program: String
    let source: String
    let options: String
    /// Query rows per work-item (blocked) or per work-group (tiled).
    private let rowsPerGroup: Int
    /// Bank rows per block of the kernel's inner loop (NB or TB).
    private let blockRows: Int
    /// Bytes of bank per launch: 1 MiB, a core's L2 here. Without chunks (each work-item streaming the whole
    /// bank) InfoNCE at N = 1024, K = 65536 took twice as long on PoCL.
    private let chunkBytes = 1 << 20

    /// The blocked kernel keeps NB × MR/VW accumulators and MR/VW query vectors in registers
    /// (`KernelShapes.memoryBankBlock`; on PoCL with AVX-512, other shapes from MR = 16..64, NB = 4..16 measured
    /// within the noise of a shared machine).
    init(_ kernel: GemmKernel, device: CLDeviceInfo) {
        self.kernel = kernel
        switch kernel {
        case .blockedCPU:
            let shapes = KernelShapes(device), vw = shapes.vectorWidth
            (rowsPerGroup, blockRows) = shapes.memoryBankBlock
            options = "-DMR=\(rowsPerGroup) -DNB=\(blockRows) -DVW=\(vw)"
            program = "memory_bank_blocked_cpu"
            source = KernelSource.memoryBankBlockedCPU
        case .tiledGPU:
            rowsPerGroup = 64
            blockRows = 32
            options = "-DWG=\(rowsPerGroup) -DTB=\(blockRows) -DDC=32"
            program = "memory_bank_tiled_gpu"
            source = KernelSource.memoryBankTiledGPU
        }
    }

    /// Rows per packed query panel for N queries: MR (blocked), or all N rounded up to the group (tiled).
    func panelWidth(rows n: Int) -> Int {
        kernel == .blockedCPU ? rowsPerGroup : roundUp(n, rowsPerGroup)
    }

    /// N rounded up to whole panels: the length of the per-row outputs.
    func paddedRows(_ n: Int) -> Int { roundUp(n, panelWidth(rows: n)) }

    /// Runs the fused kernel `name` for the packed queries of N rows over the whole bank, one launch per chunk
    /// of `chunkRows(features:)` bank rows (in order: the kernels carry their state across launches).
    /// Each launch gets (packed queries, bank, inverse norms, begin, end, d) followed by `trailing`.
    func sweep(_ cl: OpenCLBackend, _ name: String, rows n: Int, packed: CLBuffer, bank: Tensor,
               inverseNorms: Tensor, _ trailing: [KernelArgument]) throws {
        let compute = try cl.kernel(name, program: program, source: source, options: options)
        let k = bank.shape[0], d = bank.shape[1], chunk = chunkRows(features: d)
        let (global, local) = kernel == .blockedCPU ? (paddedRows(n) / rowsPerGroup, 1) : (paddedRows(n), rowsPerGroup)
        for begin in stride(from: 0, to: k, by: chunk) {
            try cl.launch(compute, name: "\(name)(\(kernel.rawValue))", global: [global], local: [local],
                          [.buffer(packed), .buffer(bank.clBuffer), .buffer(inverseNorms.clBuffer), .int(begin),
                           .int(min(begin + chunk, k)), .int(d)] + trailing)
        }
    }

    /// Bank rows per launch: about `chunkBytes` of the bank, in whole blocks, so that the work-items sweeping it
    /// find it in cache instead of each streaming the whole bank from memory.
    func chunkRows(features d: Int) -> Int {
        roundUp(max(1, chunkBytes / (d * MemoryLayout<Float>.stride)), blockRows)
    }

    /// The unit queries packed into panels (see the kernel files' layout), a pooled buffer.
    func packQueries(_ cl: OpenCLBackend, _ units: Tensor) throws -> CLBuffer {
        let n = units.shape[0], d = units.shape[1]
        return try cl.pack(units, rows: n, depth: d, paddedDepth: d, transpose: false, panel: panelWidth(rows: n))
    }

    /// Extra device bytes of the fused part for N queries of d features: the packed queries and one
    /// panel-layout result (G) of N·d each, and the per-row outputs.
    func extraBytes(rows n: Int, features d: Int) -> Int {
        (2 * paddedRows(n) * d + 2 * paddedRows(n)) * MemoryLayout<Float>.stride
    }
}
