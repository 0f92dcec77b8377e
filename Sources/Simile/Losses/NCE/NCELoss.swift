import Foundation

/// Noise-contrastive estimation against a memory bank (Wu et al. 2018, §3.2, and their code's `NCEAverage` and
/// `NCECriterion`): InstDisc's and PIRL's `--loss nce`, which compares each query with K sampled bank rows instead of
/// sweeping the whole bank as `bankSoftmaxLoss` does.
///
/// Rows are L2-normalised inside. For B queries v_b with target rows t_b (their own images) and K noise rows j_k of
/// a bank of n rows, with s = v̂·m̂/τ, P(i | v) = exp(s_i)/Z and the uniform noise distribution P_n = 1/n, a row is
/// data with probability h(i, v) = P(i | v) / (P(i | v) + K·P_n), and
///
///     L = −(1/B) Σ_b [ log h(t_b, v_b) + Σ_k log(1 − h(j_k, v_b)) ].
///
/// Z is a constant, not a sum over the bank: the first batch that meets an unset `normaliser` estimates it as n times
/// the mean of exp(s) over its B(K + 1) scores (targets and noise), as the paper's code does, and later batches keep
/// it. The normaliser, [1 once estimated, log Z] (`nceNormaliser`), stays on the device (the estimate needs no host
/// read) and is the caller's to keep across steps and checkpoint, or to reset to [0, 0] for a fresh estimate
/// (`MemoryBank` re-estimates through the first epoch). h is the logistic function of x = s − log Z − log(K/n), so
/// each term is computed as softplus(−x) (the target) or softplus(x) (noise), without exp of a score: exact for
/// every τ ≥ `LogitShift.minimumTemperature` (the paper's code adds 1e-7 inside its logarithms; this does not).
/// dL/ds is −σ(−x)/B for the target and σ(x)/B for each noise row; the bank and Z take no gradient.
///
/// The K noise rows, `negatives`, are drawn by the caller (uniformly, with replacement) and shared by the batch's
/// queries, so their scores are one GEMM and the extra memory is B·K scores; the paper's code draws K per query,
/// which has the same expectation and B times the gathered rows. A target drawn as noise counts as noise there too.
/// Non-finite queries or bank rows are reported by `value()`.
public func bankNCELoss(queries q: Tensor, bank: Tensor, targets: RowIndices, negatives: RowIndices,
                        temperature: Float = 0.07, normaliser: Tensor) throws -> ContrastiveLossResult {
    let op = "bankNCELoss"
    let inputs: [(name: String, tensor: Tensor)] = [("queries", q), ("bank", bank)]
    try validateBankOperands(op, inputs)
    guard targets.count == q.shape[0], targets.rows <= bank.shape[0], negatives.count >= 1,
          negatives.rows <= bank.shape[0] else {
        throw SimileError.shapeMismatch(op: op, detail: "\(targets.count) targets and \(negatives.count) negatives "
                                        + "(at least 1) checked against \(targets.rows) and \(negatives.rows) rows "
                                        + "for queries \(q.shape) and a bank \(bank.shape)")
    }
    guard normaliser.shape == [2] else {
        throw SimileError.shapeMismatch(op: op,
                                        detail: "normaliser must be [2] (estimated, log Z), got \(normaliser.shape)")
    }
    try requireSameDevice(op, q, normaliser)
    guard q.shape[0] * negatives.count < Int(Int32.max) else {
        throw SimileError.invalidArgument("\(op): \(q.shape[0]) queries × \(negatives.count) negatives must stay "
                                          + "below 2³¹ scores")
    }
    try validateTemperature(temperature, name: "\(op): temperature")
    let readout = try LossReadout(op, inputs: inputs)
    let (units, norms) = try l2Normalize(q)
    let targetUnits = try l2Normalize(gatherRows(bank, targets)).y
    let noise = try l2Normalize(gatherRows(bank, negatives)).y
    let scores = try matmul(units, noise, transposeB: true)
    let constants = NCEConstants(queries: q.shape[0], noise: negatives.count, bankRows: bank.shape[0],
                                 temperature: temperature)
    let unitGradient: Tensor
    switch q.device.backend {
    case .cpu(let cpu):
        unitGradient = try nceLossCPU(cpu, units: units, targets: targetUnits, scores: scores, constants,
                                      normaliser: normaliser, loss: readout.loss)
    case .opencl(let cl):
        unitGradient = try nceLossOpenCL(cl, units: units, targets: targetUnits, scores: scores, constants,
                                         normaliser: normaliser, loss: readout.loss)
    }
    // The backends left dL/ds in `scores`; the noise rows' share of dL/dv̂ joins the targets'.
    try gemm(scores, noise, into: unitGradient, beta: 1)
    return ContrastiveLossResult(gradient: try l2NormalizeBackward(y: units, norms: norms, gradient: unitGradient),
                                 readout: readout)
}

/// A normaliser for `bankNCELoss` on `device`, not yet estimated: [0, 0].
public func nceNormaliser(on device: Device) throws -> Tensor {
    try Tensor.zeros([2], on: device)
}

/// The numbers both backends' NCE passes take, in the kernel's terms.
struct NCEConstants {
    let queries: Int
    let noise: Int
    /// 1/τ.
    let inverseTemperature: Float
    /// log n, for the estimate of log Z.
    let logBankRows: Float
    /// log(K/n) = log(K·P_n).
    let logNoiseRatio: Float
    /// 1/(τB): σ times this is dL/d(cosine), the mean over the queries of dL/ds times ds/d(cosine).
    let scale: Float

    init(queries: Int, noise: Int, bankRows: Int, temperature: Float) {
        (self.queries, self.noise) = (queries, noise)
        inverseTemperature = 1 / temperature
        logBankRows = Float(log(Double(bankRows)))
        logNoiseRatio = Float(log(Double(noise)) - log(Double(bankRows)))
        scale = 1 / (temperature * Float(queries))
    }
}
