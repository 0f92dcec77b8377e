import Kernels

/// The OpenCL variants of the fused memory-bank kernels (`infoNCELoss`, `nearestNeighbours`), one per device
/// type as for GEMM.
public enum MemoryBankKernel: String, CaseIterable, Sendable {
    /// Each work-item owns a panel of query rows in vector registers and walks the bank in register-blocked
    /// steps; no local memory, no barriers. For CPU devices such as PoCL.
    case blockedCPU = "blocked-cpu"
    /// Each work-item owns one query row; work-groups stage bank tiles in local memory. For GPUs.
    case tiledGPU = "tiled-gpu"

    /// The variant for a device type.
    public static func preferred(for type: CLDeviceType) -> MemoryBankKernel {
        type == .cpu ? .blockedCPU : .tiledGPU
    }
}

/// A memory-bank variant with concrete parameters: how the queries are packed and the fused kernels launched.
struct MemoryBankVariant {
    let kernel: MemoryBankKernel
    let program: String
    let source: String
    let options: String
    /// Query rows per work-item (blocked) or per work-group (tiled).
    private let rowsPerGroup: Int

    /// The blocked kernel keeps NB × MR/VW accumulators: 8 × 2 float16 for AVX-512 (measured best on PoCL),
    /// 8 × 2 float8 for AVX2, 8 × 2 float4 otherwise.
    init(_ kernel: MemoryBankKernel, device: CLDeviceInfo) {
        self.kernel = kernel
        switch kernel {
        case .blockedCPU:
            let vw = device.preferredFloatVectorWidth >= 16 ? 16 : device.preferredFloatVectorWidth >= 8 ? 8 : 4
            rowsPerGroup = 2 * vw
            options = "-DMR=\(rowsPerGroup) -DNB=8 -DVW=\(vw)"
            program = "memory_bank_blocked_cpu"
            source = KernelSource.memoryBankBlockedCPU
        case .tiledGPU:
            rowsPerGroup = 64
            options = "-DWG=\(rowsPerGroup) -DTB=32 -DDC=32"
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

    /// Launches the fused kernel `name` for N queries.
    func launch(_ cl: OpenCLBackend, _ name: String, rows n: Int, _ arguments: [KernelArgument]) throws {
        let compute = try cl.kernel(name, program: program, source: source, options: options)
        switch kernel {
        case .blockedCPU:
            try cl.launch(compute, name: "\(name)(\(kernel.rawValue))", global: [paddedRows(n) / rowsPerGroup],
                          local: [1], arguments)
        case .tiledGPU:
            try cl.launch(compute, name: "\(name)(\(kernel.rawValue))", global: [paddedRows(n)],
                          local: [rowsPerGroup], arguments)
        }
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
