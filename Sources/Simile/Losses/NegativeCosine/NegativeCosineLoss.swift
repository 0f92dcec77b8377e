/// Which loss of the cosine c_i = cos(p_i, z_π(i)) `negativeCosineLoss` averages over the rows.
public enum NegativeCosineForm: String, CaseIterable, Sendable {
    /// ℓ_i = −c_i: SimSiam's loss (lightly's `NegativeCosineSimilarity`), in [−1, 1].
    case negativeCosine = "negative-cosine"
    /// ℓ_i = 2 − 2·c_i, which is ‖p̂_i − ẑ_π(i)‖² for non-zero rows: BYOL's regression loss, in [0, 4].
    case byol

    /// ℓ_i = constant + slope · c_i.
    var constant: Float { self == .byol ? 2 : 0 }
    var slope: Float { self == .byol ? -2 : -1 }
}

/// The negative-cosine loss and its gradient with respect to the predictions, left on the inputs' device: nothing
/// waits for the device until the caller reads the loss with `value()`.
public struct NegativeCosineResult: DeviceLoss {
    /// dLoss/dp, shaped like the predictions (meaningless when `value()` reports a non-finite input).
    public let predictionGradient: Tensor
    let readout: LossReadout

    /// The mean of ℓ_i over the N rows: a one-element tensor of shape [1] on the inputs' device.
    public var loss: Tensor { readout.loss }

    /// Reads the loss to the host, together with the check that p and z were finite: one blocking read on OpenCL.
    /// Throws "negativeCosineLoss: targets[row, col] is nan; the input must be finite" for the first element that
    /// was not (predictions first, then targets).
    public func value() throws -> Float { try readout.value() }
}

/// The loss of SimSiam and BYOL between predictions p [N, d] and stop-gradient targets z [N, d], with dLoss/dp.
///
/// Row i of p is paired with row π(i) of z: π(i) = i, or with `swapHalves` (N even) π(i) = (i + N/2) mod N. The
/// trainer's batches hold the first views in rows 0..<B and the second views in rows B..<2B, so `swapHalves` gives
/// the symmetrised loss ½(L(p₁, z₂) + L(p₂, z₁)) in one call, without copying either half.
/// With c_i = p̂_i·ẑ_π(i), ℓ_i = −c_i (`.negativeCosine`) or 2 − 2·c_i (`.byol`), and the loss is the mean over i.
/// Rows are normalised as F.normalize does, x̂ = x / max(‖x‖, 1e-12), which is what BYOL's and SimSiam's reference
/// code and `l2Normalize` do; lightly's `F.cosine_similarity` divides by max(‖p‖·‖z‖, 1e-8) instead, and the two
/// differ only for rows of norm below about 1e-4, which a trained network does not make. Where ‖p_i‖ ≤ 1e-12 the
/// clamped norm is a constant, so dp_i = (dℓ_i/dc_i) ẑ_π(i) / (N·1e-12), as autograd gives through F.normalize.
/// dp_i = (dℓ_i/dc_i)/N · (ẑ_π(i) − c_i p̂_i)/max(‖p_i‖, 1e-12) otherwise; z gets no gradient and is not written.
/// One pass reads each pair of rows for the three dot products and writes dp_i (negative_cosine.cl; a parallel row
/// loop on the CPU); extra memory is the N loss terms and their mean (`negativeCosineLossExtraBytes`).
/// Shape and device errors are thrown here, before anything is computed; non-finite inputs are checked on their
/// device and reported by the result's `value()`.
public func negativeCosineLoss(predictions p: Tensor, targets z: Tensor, form: NegativeCosineForm = .negativeCosine,
                               swapHalves: Bool = false) throws -> NegativeCosineResult {
    let op = "negativeCosineLoss", inputs: [(name: String, tensor: Tensor)] = [("predictions", p), ("targets", z)]
    try validateBankOperands(op, inputs)
    guard p.shape[0] == z.shape[0] else {
        throw SimileError.shapeMismatch(
            op: op, detail: "predictions \(p.shape) and targets \(z.shape) need the same number of rows")
    }
    try requireKernelSizes(op, p.shape, name: "predictions")
    guard !swapHalves || p.shape[0] % 2 == 0 else {
        throw SimileError.invalidArgument(
            "\(op): swapHalves pairs row i with row i + N/2, so N must be even, got predictions \(p.shape)")
    }
    let readout = try LossReadout(op, inputs: inputs)
    let rows = p.shape[0], offset = swapHalves ? rows / 2 : 0
    let terms = try Tensor(uninitialized: [rows], on: p.device)
    let gradient = try Tensor(uninitialized: p.shape, on: p.device)
    switch p.device.backend {
    case .cpu(let cpu):
        negativeCosineLossCPU(cpu, predictions: p, targets: z, offset: offset, form: form, terms: terms,
                              gradient: gradient)
    case .opencl(let cl):
        try negativeCosineLossOpenCL(cl, predictions: p, targets: z, offset: offset, form: form, terms: terms,
                                     gradient: gradient)
    }
    try copy(mean(terms), into: readout.loss)
    return NegativeCosineResult(predictionGradient: gradient, readout: readout)
}

/// Bytes `negativeCosineLoss` allocates besides its inputs, the gradient it returns and the loss: the N loss terms,
/// and at most 257 floats of their mean (`mean`'s partial sums on OpenCL and its one-element result).
public func negativeCosineLossExtraBytes(rows n: Int) -> Int {
    (n + 257) * MemoryLayout<Float>.stride
}

/// The clamp of the row norms, F.normalize's default (as `l2Normalize`'s).
let negativeCosineEps: Float = 1e-12
