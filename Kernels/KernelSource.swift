/// The OpenCL C sources of Kernels/*.cl, embedded in the binary at build time so that a copied
/// executable needs no kernel files on disk.
public enum KernelSource {
    public static let elementwise = text(PackageResources.elementwise_cl)
    public static let reduce = text(PackageResources.reduce_cl)
    public static let l2Normalize = text(PackageResources.l2_normalize_cl)
    public static let gemmPack = text(PackageResources.gemm_pack_cl)
    public static let gemmBlockedCPU = text(PackageResources.gemm_blocked_cpu_cl)
    public static let gemmTiledGPU = text(PackageResources.gemm_tiled_gpu_cl)
    public static let gemmSplitK = text(PackageResources.gemm_split_k_cl)
    public static let gemmMmaTF32 = text(PackageResources.gemm_mma_tf32_cl)
    public static let pooling = text(PackageResources.pooling_cl)
    public static let conv2d = text(PackageResources.conv2d_cl)
    public static let batchNorm = text(PackageResources.batch_norm_cl)
    public static let memoryBank = text(PackageResources.memory_bank_cl)
    public static let memoryBankBlockedCPU = text(PackageResources.memory_bank_blocked_cpu_cl)
    public static let memoryBankTiledGPU = text(PackageResources.memory_bank_tiled_gpu_cl)
    public static let contrastiveLossBlockedCPU = text(PackageResources.contrastive_loss_blocked_cpu_cl)
    public static let contrastiveLossTiledGPU = text(PackageResources.contrastive_loss_tiled_gpu_cl)
    public static let contrastiveLossFinish = text(PackageResources.contrastive_loss_finish_cl)
    public static let optimizer = text(PackageResources.optimizer_cl)
    public static let groupSum = text(PackageResources.group_sum_cl)
    public static let augment = text(PackageResources.augment_cl)
    public static let linearProbe = text(PackageResources.linear_probe_cl)
    public static let positiveLoss = text(PackageResources.positive_loss_cl)
    public static let negativeCosine = text(PackageResources.negative_cosine_cl)
    public static let columnStd = text(PackageResources.column_std_cl)
    public static let bankRows = text(PackageResources.bank_rows_cl)
    public static let sinkhorn = text(PackageResources.sinkhorn_cl)
    public static let softCrossEntropy = text(PackageResources.soft_cross_entropy_cl)
    public static let layerNorm = text(PackageResources.layer_norm_cl)
    public static let channelsLast = text(PackageResources.channels_last_cl)
    public static let featureMapLoss = text(PackageResources.feature_map_loss_cl)
    public static let pad = text(PackageResources.pad_cl)
    public static let patches = text(PackageResources.patches_cl)
    public static let tripletLoss = text(PackageResources.triplet_loss_cl)
    public static let nceLoss = text(PackageResources.nce_loss_cl)
    public static let peak = text(PackageResources.peak_cl)

    /// `source` with each line `#include "NAME"` (at the line's start) replaced by the shared file NAME: the
    /// sources are embedded, so the compiler has no include path. An unknown NAME is left for the compiler to
    /// report in its build log.
    public static func resolvingIncludes(_ source: String) -> String {
        let shared = ["group_sum.cl": groupSum, "positive_loss.cl": positiveLoss]
        return source.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            guard line.hasPrefix("#include \""), line.hasSuffix("\""),
                  let included = shared[String(line.dropFirst(10).dropLast())] else { return String(line) }
            return included
        }.joined(separator: "\n")
    }

    private static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}
