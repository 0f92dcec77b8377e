/// Every choice of a kernel's shape from the device, in one place.
///
/// One kernel shape does not suit every device (as CLBlast found). CPU devices (PoCL) run a work-group's items
/// as loops on one core and split those loops at every barrier, so their kernels give each work-item a block
/// of results held in vectors of the device's float width, and use no local memory and no barriers. GPUs and
/// accelerators get work-groups that share tiles in local memory. The variants of each op (`GemmKernel`,
/// `BatchNormKernel`) follow `prefersRegisterBlocks`; `simile-bench` measures them.
struct KernelShapes {
    /// True for CPU devices: the register-block variants; false for GPUs and accelerators: the tiled ones.
    let prefersRegisterBlocks: Bool
    /// The float vector width of the register-block kernels: 16 (AVX-512), 8 (AVX2) or 4.
    let vectorWidth: Int
    /// Work-items per work-group of the one-group-per-row reductions (reduce, batch norm): 1 on CPU devices
    /// (measured up to 2.7× faster than 256 on PoCL), else 256 or the largest power of two the device allows.
    let reductionGroupSize: Int

    /// The shapes for `device`; `reductionGroupSize` overrides that choice (tests run the tree reductions
    /// on a CPU device with it).
    init(_ device: CLDeviceInfo, reductionGroupSize forced: Int? = nil) {
        prefersRegisterBlocks = Self.prefersRegisterBlocks(device.type)
        let width = device.preferredFloatVectorWidth
        vectorWidth = width >= 16 ? 16 : width >= 8 ? 8 : 4
        var size = forced ?? (prefersRegisterBlocks ? 1 : 256)
        while size > device.maxWorkGroupSize { size /= 2 }
        reductionGroupSize = size
    }

    static func prefersRegisterBlocks(_ type: CLDeviceType) -> Bool { type == .cpu }

    /// The tiled GPU kernels' work-group tile (GEMM and contrastive losses): 64×64 results, staged through local
    /// memory in 16-deep slices, each work-item accumulating a 4×4 register block (256 work-items).
    static let gpuTile = (size: 64, depth: 16, registerBlock: 4)

    /// The GEMM's register block (rows × columns of C per work-item), within the register file: 8×32 in
    /// float16 accumulators for AVX-512 (measured best on PoCL), 6×16 in float8 for AVX2, 4×8 in float4.
    var gemmBlock: (rows: Int, columns: Int) {
        switch vectorWidth {
        case 16: return (8, 32)
        case 8: return (6, 16)
        default: return (4, 8)
        }
    }

    /// The contrastive losses' register block: the GEMM's, but 4×16 rather than 6×16 for AVX2 (the loss kernels
    /// need a row block that divides the column block, since one packed copy of U serves both operands).
    var contrastiveBlock: (rows: Int, columns: Int) {
        vectorWidth == 8 ? (4, 16) : gemmBlock
    }

    /// The memory-bank kernels' block: 2 vectors of query rows against 8 bank rows for AVX-512's 32 registers,
    /// 6 for the 16 of AVX2 and narrower devices.
    var memoryBankBlock: (queryRows: Int, bankRows: Int) {
        (2 * vectorWidth, vectorWidth == 16 ? 8 : 6)
    }
}
