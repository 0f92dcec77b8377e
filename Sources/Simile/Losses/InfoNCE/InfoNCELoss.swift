/// InfoNCE against a memory bank and its gradients, all left on the inputs' device: nothing waits for the device
/// until the caller reads the loss with `value()`.
public struct InfoNCEResult {
    /// dLoss/dq, shaped like the queries (meaningless when `value()` reports a non-finite input).
    public let queryGradient: Tensor
    /// dLoss/dk, shaped like the keys (likewise; for `bankSoftmaxLoss`, of the gathered target rows, which the bank
    /// does not take).
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
/// (K × d), as MoCo uses it (lightly's `NTXentLoss` with a memory bank), with its gradients.
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
    return try fusedBankLoss(queries: q, keys: k, bank: bank, temperature: temperature, keyInBank: false,
                             kernel: kernel, readout: readout)
}

/// InstDisc's non-parametric softmax (Wu et al. 2018) and PIRL's loss against a memory bank: the cross-entropy of
/// each query's cosines with every row of `bank` (K × d) at temperature τ, its target the bank row `targets[i]`
/// (the query's own image), with dLoss/dq. With s_ij = q̂_i·b̂_j/τ,
///
///     ℓ_i = −s_{i,targets[i]} + log Σ_j exp(s_ij),    the loss the mean over the N queries,
///
/// the target counted once, as one of the K classes (`infoNCELoss` would add its key beside the bank). Rows are
/// L2-normalised inside; the bank gets no gradient. The same fused sweep as `infoNCELoss` (the logit matrix never
/// stored, each row shifted by its running maximum, exact for every τ ≥ `LogitShift.minimumTemperature`). ℓ_i is
/// log Z + shift − s₊ with the target's own term in Z, so when nearly all of a row's mass is on its target, ℓ_i is
/// near 0 to float32's absolute precision (≈ 1e-7), not relative. Non-finite queries or bank rows are checked on the
/// device and reported by `value()`.
public func bankSoftmaxLoss(queries q: Tensor, bank: Tensor, targets: RowIndices, temperature: Float = 0.07,
                            kernel: GemmKernel? = nil) throws -> InfoNCEResult {
    let inputs: [(name: String, tensor: Tensor)] = [("queries", q), ("bank", bank)]
    try validateBankOperands("bankSoftmaxLoss", inputs)
    guard targets.count == q.shape[0], targets.rows <= bank.shape[0] else {
        throw SimileError.shapeMismatch(op: "bankSoftmaxLoss", detail: "\(targets.count) targets checked against "
                                        + "\(targets.rows) rows for queries \(q.shape) and a bank \(bank.shape)")
    }
    try validateTemperature(temperature, name: "bankSoftmaxLoss: temperature")
    let readout = try LossReadout("bankSoftmaxLoss", inputs: inputs)
    return try fusedBankLoss(queries: q, keys: gatherRows(bank, targets), bank: bank, temperature: temperature,
                             keyInBank: true, kernel: kernel, readout: readout)
}

/// The fused sweep both losses share, on the inputs' backend, its loss written into `readout`.
private func fusedBankLoss(queries q: Tensor, keys k: Tensor, bank: Tensor, temperature: Float, keyInBank: Bool,
                           kernel: GemmKernel?, readout: LossReadout) throws -> InfoNCEResult {
    let gradients: (queries: Tensor, keys: Tensor)
    switch q.device.backend {
    case .cpu(let cpu):
        gradients = try infoNCELossCPU(cpu, queries: q, keys: k, bank: bank, temperature: temperature,
                                       keyInBank: keyInBank, loss: readout.loss)
    case .opencl(let cl):
        gradients = try infoNCELossOpenCL(cl, queries: q, keys: k, bank: bank, temperature: temperature,
                                          keyInBank: keyInBank, kernel: kernel ?? .preferred(for: cl.info.type),
                                          loss: readout.loss)
    }
    return InfoNCEResult(queryGradient: gradients.queries, keyGradient: gradients.keys, readout: readout)
}
