import Kernels

extension GemmKernel {
    /// The variant for a device type (see `KernelShapes`).
    public static func preferred(for type: CLDeviceType) -> GemmKernel {
        KernelShapes.prefersRegisterBlocks(type) ? .blockedCPU : .tiledGPU
    }
}

extension GemmParameters {
    /// The built-in parameters of `kernel` on `device`: the blocked kernel's register block from `KernelShapes`,
    /// the tiled kernel's 64×64 tiles; split-K to 2 waves for the blocked kernel (CPU threads each take a few
    /// work-items) and 4 for the tiled one (GPU compute units hide latency with several resident groups).
    public static func defaults(_ kernel: GemmKernel, device: CLDeviceInfo) -> GemmParameters {
        switch kernel {
        case .blockedCPU:
            let shapes = KernelShapes(device)
            let (mr, nr) = shapes.gemmBlock
            return blocked(rows: mr, columns: nr, vectorWidth: shapes.vectorWidth, splitWaves: 2)
        case .tiledGPU:
            let (tile, depth, block) = KernelShapes.gpuTile
            return tiled(tile: (tile, tile), depth: depth, item: (block, block), splitWaves: 4)
        }
    }
}

extension GemmDeviceLimits {
    /// What `device` offers the GEMM kernels.
    public init(_ device: CLDeviceInfo) {
        self.init(vectorWidth: KernelShapes(device).vectorWidth, maxWorkGroupSize: device.maxWorkGroupSize,
                  localMemoryBytes: device.localMemoryBytes)
    }
}

/// A GEMM variant with concrete parameters: how operands are packed, how the compute kernel is launched, and how
/// far it splits K.
struct GemmVariant {
    let parameters: GemmParameters
    /// The tensor-core TF32 kernel (gemm_mma_tf32.cl) on the tiled kernel's packing (`GemmVariant.tensorCores`).
    let tf32: Bool
    /// Rows of op(A) per packed panel, and columns of op(B) per packed panel.
    var aPanel: Int { parameters.tileRows }
    var bPanel: Int { parameters.tileColumns }
    /// Packed depth Kp is K rounded up to a multiple of this (the tiled kernel's K stage).
    var kStep: Int { parameters.stageDepth }
    var kernel: GemmKernel { parameters.kernel }

    /// The least K one split-K slice takes: below it, writing and re-reading a partial M×N slice would cost more
    /// than the multiply-adds it spreads.
    static let minimumSliceDepth = 256
    /// The most device memory the partial products of one split GEMM may take.
    static let partialBytesLimit = 64 << 20

    init(_ parameters: GemmParameters, tf32: Bool = false) {
        self.parameters = parameters
        self.tf32 = tf32
    }

    /// The parameters of `kernel` for `device`: the built-in defaults (`GemmParameters.defaults`).
    init(_ kernel: GemmKernel, device: CLDeviceInfo) {
        self.init(.defaults(kernel, device: device))
    }

    var options: String {
        let p = parameters
        if tf32 { return "-DTK=\(p.stageDepth)" }
        switch p.kernel {
        case .blockedCPU: return "-DMR=\(p.tileRows) -DNR=\(p.tileColumns) -DVW=\(p.vectorWidth)"
        case .tiledGPU:
            return "-DTM=\(p.tileRows) -DTN=\(p.tileColumns) -DTK=\(p.stageDepth) -DWM=\(p.itemRows) -DWN=\(p.itemColumns)"
        }
    }

    var source: String {
        tf32 ? KernelSource.gemmMmaTF32 : kernel == .blockedCPU ? KernelSource.gemmBlockedCPU : KernelSource.gemmTiledGPU
    }

    /// The program's name in the cache and in errors and traces.
    var program: String { tf32 ? "gemm_mma_tf32" : "gemm_\(kernel.rawValue)" }

    /// The compute kernel's local size: one work-item per group (blocked), the tile's work-items (tiled) or four
    /// warps (tensor cores).
    var localSize: [Int] {
        let p = parameters
        if tf32 { return [128, 1, 1] }
        return kernel == .blockedCPU ? [1, 1, 1] : [p.tileColumns / p.itemColumns, p.tileRows / p.itemRows, 1]
    }

    /// Work-groups in one K slice of an M×N product.
    func groups(m: Int, n: Int) -> Int {
        (m + aPanel - 1) / aPanel * ((n + bPanel - 1) / bPanel)
    }

    /// How an M×N product of packed depth `depth` is split along K on a device of `computeUnits`: into as many
    /// slices as bring the grid to `splitWaves` waves of work-groups over the compute units, each at least
    /// `minimumSliceDepth` deep (a multiple of `kStep`), within `partialBytesLimit` of partial products. One slice
    /// (no split) when the M×N tiles alone fill the waves.
    func split(m: Int, n: Int, depth: Int, computeUnits: Int) -> (slices: Int, sliceDepth: Int) {
        let wanted = parameters.splitWaves * max(1, computeUnits)
        let groups = self.groups(m: m, n: n)
        guard groups < wanted, depth >= 2 * Self.minimumSliceDepth else { return (1, depth) }
        let bySize = min(depth / Self.minimumSliceDepth, Self.partialBytesLimit / (m * n * MemoryLayout<Float>.stride))
        return split(depth: depth, into: min((wanted + groups - 1) / groups, bySize))
    }

    /// `depth` in `slices` slices of equal depth (a multiple of `kStep`; the last may be shorter), at least one.
    func split(depth: Int, into slices: Int) -> (slices: Int, sliceDepth: Int) {
        guard slices > 1 else { return (1, depth) }
        let sliceDepth = roundUp((depth + slices - 1) / slices, kStep)
        return ((depth + sliceDepth - 1) / sliceDepth, sliceDepth)
    }

    /// The compute kernel's global size for an M×N result in `slices` K slices.
    func globalSize(m: Int, n: Int, slices: Int) -> [Int] {
        let panelsN = (n + bPanel - 1) / bPanel, panelsM = (m + aPanel - 1) / aPanel
        let local = localSize
        return [panelsN * local[0], panelsM * local[1], slices]
    }

    /// Bytes of packed operands for op(A) M×K and op(B) K×N, and of split-K partial products on a device of
    /// `computeUnits`: the extra device memory a GEMM needs.
    func extraBytes(m: Int, n: Int, k: Int, computeUnits: Int) -> Int {
        let depth = roundUp(k, kStep)
        let slices = split(m: m, n: n, depth: depth, computeUnits: computeUnits).slices
        let partials = slices > 1 ? slices * m * n : 0
        return ((roundUp(m, aPanel) + roundUp(n, bPanel)) * depth + partials) * MemoryLayout<Float>.stride
    }
}

func roundUp(_ value: Int, _ multiple: Int) -> Int {
    (value + multiple - 1) / multiple * multiple
}

/// Extra device bytes an OpenCL GEMM with `kernel` needs on `device` for op(A) M×K times op(B) K×N
/// (its packed operands and split-K partial products).
public func gemmPackedBytes(_ kernel: GemmKernel, on device: CLDeviceInfo, m: Int, n: Int, k: Int) -> Int {
    GemmVariant(kernel, device: device).extraBytes(m: m, n: n, k: k, computeUnits: device.computeUnits)
}
