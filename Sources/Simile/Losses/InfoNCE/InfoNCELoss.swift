/// InfoNCE against a memory bank and its gradients, all left on the inputs' device: nothing waits for the device
/// until the caller reads the loss with `value()`.
public struct InfoNCEResult {
    /// dLoss/dq, shaped like the queries (meaningless when `value()` reports a non-finite input).
    public let queryGradient: Tensor
    /// dLoss/dk, shaped like the keys (likewise).
    public let keyGradient: Tensor
    let readout: LossReadout

    /// The mean of ℓ_i over the N queries: a one-element tensor of shape [1] on the inputs' device.
    public var loss: Tensor { readout.loss }

    /// Reads the loss to the host, together with the check that q, k and the bank were finite: one blocking read
    /// on OpenCL. Throws "infoNCELoss: bank[row, col] is inf; the input must be finite" for the first element that
    /// was not (queries first, then keys, then the bank).
    public func value() throws -> Float { try readout.value() }
}

/// InfoNCE of queries q (N × d) against their positive keys k (N × d) and the negatives of a memory bank
/// (K × d), as MoCo and InstDisc use it (lightly's `NTXentLoss` with a memory bank), with its gradients.
///
/// Rows of q, k and the bank are L2-normalised inside (F.normalize semantics). With s_i+ = q̂_i·k̂_i/τ and
/// s_ij = q̂_i·b̂_j/τ, ℓ_i = −s_i+ + log(exp(s_i+) + Σ_j exp(s_ij)), and the loss is the mean over i. ℓ_i is taken as
/// log1p(Σ_j exp(s_ij) / exp(s_i+)) (`positiveLoss`), so a loss far below float32's spacing near 1 and its gradients
/// keep their relative precision, and the loss is never negative.
/// The bank gets no gradient. The N × K logit matrix is never stored: tiles of it are exponentiated and
/// multiplied back into the bank as they are made (see `infoNCELossCPU`), so extra memory is O(N·d + K)
/// — the bank's K row norms — plus a bounded tile. Each row is shifted by its own running maximum, so the
/// result is exact for every temperature from `LogitShift.minimumTemperature` up; smaller ones, and non-finite
/// ones, are one clear error. Shape and temperature errors are thrown here; non-finite inputs are checked on their
/// device and reported by the result's `value()`.
/// `kernel` forces an OpenCL variant; by default the device type picks it.
public func infoNCELoss(queries q: Tensor, keys k: Tensor, bank: Tensor, temperature: Float = 0.1,
                        kernel: GemmKernel? = nil) throws -> InfoNCEResult {
    let inputs: [(name: String, tensor: Tensor)] = [("queries", q), ("keys", k), ("bank", bank)]
    try validateBankOperands("infoNCELoss", inputs)
    guard q.shape[0] == k.shape[0] else {
        throw SimileError.shapeMismatch(
            op: "infoNCELoss", detail: "queries \(q.shape) and keys \(k.shape) need the same number of rows")
    }
    try validateTemperature(temperature, name: "infoNCELoss: temperature")
    let readout = try LossReadout("infoNCELoss", inputs: inputs)
    let gradients: (queries: Tensor, keys: Tensor)
    switch q.device.backend {
    case .cpu(let cpu):
        gradients = try infoNCELossCPU(cpu, queries: q, keys: k, bank: bank, temperature: temperature,
                                       loss: readout.loss)
    case .opencl(let cl):
        gradients = try infoNCELossOpenCL(cl, queries: q, keys: k, bank: bank, temperature: temperature,
                                          kernel: kernel ?? .preferred(for: cl.info.type), loss: readout.loss)
    }
    return InfoNCEResult(queryGradient: gradients.queries, keyGradient: gradients.keys, readout: readout)
}
