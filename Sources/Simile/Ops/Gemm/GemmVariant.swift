import Kernels

/// The two shapes of the OpenCL GEMM kernels, which the fused kernels built on tile products (convolution,
/// the contrastive losses, the memory-bank losses and searches) share. One kernel shape does not suit every
/// device, so each device type gets a variant with its own parameters (as CLBlast does); `simile-bench` measures them.
public enum GemmKernel: String, CaseIterable, Sendable {
    /// Each work-item owns an MR×NR block of C in vector registers; no local memory, no barriers.
    /// Fast where work-items run as loops on one core (CPU devices such as PoCL).
    case blockedCPU = "blocked-cpu"
    /// Work-groups stage K-slices of A and B tiles in local memory; each work-item accumulates a
    /// small register block. The usual shape for GPUs and accelerators.
    case tiledGPU = "tiled-gpu"

    /// The variant for a device type (see `KernelShapes`).
    public static func preferred(for type: CLDeviceType) -> GemmKernel {
        KernelShapes.prefersRegisterBlocks(type) ? .blockedCPU : .tiledGPU
    }
}

/// A GEMM variant with concrete parameters: how operands are packed and how the compute kernel is launched.
struct GemmVariant {
    let kernel: GemmKernel
    /// Rows of op(A) per packed panel, and columns of op(B) per packed panel.
    let aPanel: Int
    let bPanel: Int
    /// Packed depth Kp is K rounded up to a multiple of this (the tiled kernel's K slice).
    let kStep: Int
    /// Rows and columns of C per work-item (blocked) or per work-group (tiled).
    let localSize: [Int]?
    let options: String
    let source: String

    /// The parameters of `kernel` for `device`; the blocked kernel's register block is `KernelShapes.gemmBlock`.
    init(_ kernel: GemmKernel, device: CLDeviceInfo) {
        self.kernel = kernel
        switch kernel {
        case .blockedCPU:
            let shapes = KernelShapes(device)
            let ((mr, nr), vw) = (shapes.gemmBlock, shapes.vectorWidth)
            aPanel = mr
            bPanel = nr
            kStep = 1
            localSize = [1, 1]
            options = "-DMR=\(mr) -DNR=\(nr) -DVW=\(vw)"
            source = KernelSource.gemmBlockedCPU
        case .tiledGPU:
            let (tile, depth, block) = KernelShapes.gpuTile
            let (tm, tn, tk, wm, wn) = (tile, tile, depth, block, block)
            aPanel = tm
            bPanel = tn
            kStep = tk
            localSize = [tn / wn, tm / wm]
            options = "-DTM=\(tm) -DTN=\(tn) -DTK=\(tk) -DWM=\(wm) -DWN=\(wn)"
            source = KernelSource.gemmTiledGPU
        }
    }

    /// The compute kernel's global size for an M×N result.
    func globalSize(m: Int, n: Int) -> [Int] {
        let panelsN = (n + bPanel - 1) / bPanel, panelsM = (m + aPanel - 1) / aPanel
        switch kernel {
        case .blockedCPU: return [panelsN, panelsM]
        case .tiledGPU: return [panelsN * localSize![0], panelsM * localSize![1]]
        }
    }

    /// Bytes of packed operands for op(A) M×K and op(B) K×N: the extra device memory a GEMM needs.
    func packedBytes(m: Int, n: Int, k: Int) -> Int {
        let depth = roundUp(k, kStep)
        return (roundUp(m, aPanel) + roundUp(n, bPanel)) * depth * MemoryLayout<Float>.stride
    }
}

func roundUp(_ value: Int, _ multiple: Int) -> Int {
    (value + multiple - 1) / multiple * multiple
}

/// Extra device bytes an OpenCL GEMM with `kernel` needs on `device` for op(A) M×K times op(B) K×N
/// (its packed operands).
public func gemmPackedBytes(_ kernel: GemmKernel, on device: CLDeviceInfo, m: Int, n: Int, k: Int) -> Int {
    GemmVariant(kernel, device: device).packedBytes(m: m, n: n, k: k)
}
