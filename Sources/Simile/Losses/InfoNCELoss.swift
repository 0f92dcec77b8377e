/// InfoNCE against a memory bank and its gradients.
public struct InfoNCEResult {
    /// The mean of ℓ_i over the N queries.
    public let loss: Float
    /// dLoss/dq, shaped like the queries.
    public let queryGradient: Tensor
    /// dLoss/dk, shaped like the keys.
    public let keyGradient: Tensor
}

/// InfoNCE of queries q (N × d) against their positive keys k (N × d) and the negatives of a memory bank
/// (K × d), as MoCo and InstDisc use it (lightly's `NTXentLoss` with a memory bank), with its gradients.
///
/// Rows of q, k and the bank are L2-normalised inside (F.normalize semantics). With s_i+ = q̂_i·k̂_i/τ and
/// s_ij = q̂_i·b̂_j/τ, ℓ_i = −s_i+ + log(exp(s_i+) + Σ_j exp(s_ij)), and the loss is the mean over i.
/// The bank gets no gradient. The N × K logit matrix is never stored: tiles of it are exponentiated and
/// multiplied back into the bank as they are made (see `infoNCELossCPU`), so extra memory is O(N·d + K)
/// — the bank's K row norms — plus a bounded tile. Each row is shifted by its own running maximum, so the
/// result is exact for every temperature from `LogitShift.minimumTemperature` up; smaller ones, and non-finite
/// ones, are one clear error.
/// `kernel` forces an OpenCL variant; by default the device type picks it.
public func infoNCELoss(queries q: Tensor, keys k: Tensor, bank: Tensor, temperature: Float = 0.1,
                        kernel: GemmKernel? = nil) throws -> InfoNCEResult {
    try validateBankOperands("infoNCELoss", [("queries", q), ("keys", k), ("bank", bank)])
    guard q.shape[0] == k.shape[0] else {
        throw SimileError.shapeMismatch(
            op: "infoNCELoss", detail: "queries \(q.shape) and keys \(k.shape) need the same number of rows")
    }
    try validateTemperature(temperature, name: "infoNCELoss: temperature")
    switch q.device.backend {
    case .cpu(let cpu):
        return try infoNCELossCPU(cpu, queries: q, keys: k, bank: bank, temperature: temperature)
    case .opencl(let cl):
        return try infoNCELossOpenCL(cl, queries: q, keys: k, bank: bank, temperature: temperature,
                                     kernel: kernel ?? .preferred(for: cl.info.type))
    }
}
