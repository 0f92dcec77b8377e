/// The two shapes of the OpenCL GEMM kernels, which the fused kernels built on tile products (convolution,
/// the contrastive losses, the memory-bank losses and searches) share. One kernel shape does not suit every
/// device, so each device type gets a variant with its own parameters (as CLBlast does); `simile-bench` measures them.
public enum GemmKernel: String, CaseIterable, Codable, Sendable {
    /// Each work-item owns an MR×NR block of C in vector registers; no local memory, no barriers.
    /// Fast where work-items run as loops on one core (CPU devices such as PoCL).
    case blockedCPU = "blocked-cpu"
    /// Work-groups stage K-slices of A and B tiles in local memory; each work-item accumulates a
    /// small register block. The usual shape for GPUs and accelerators.
    case tiledGPU = "tiled-gpu"
}
