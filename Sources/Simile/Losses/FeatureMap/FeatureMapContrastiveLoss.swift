/// A feature-map contrastive loss and its gradients, left on the inputs' device until `value()` reads the loss.
public struct FeatureMapLossResult: DeviceLoss {
    /// dLoss/dsources, [B, d].
    public let sourceGradient: Tensor
    /// dLoss/dtargets, shaped like the target maps [B, d, H, W].
    public let targetGradient: Tensor
    let readout: LossReadout

    public var loss: Tensor { readout.loss }

    /// The loss, with the check that the sources and targets were finite (one blocking read on OpenCL).
    public func value() throws -> Float { try readout.value() }
}

/// AMDIM's contrastive loss between vectors and feature maps (Bachman et al. 2019; the NCE cost of AMDIM's
/// `costs.py`, as lightning-bolts' `AmdimNCELoss` has it): source vector i (one per image, [B, d]) is scored
/// against the vector at every location l of every image j's target map ([B, d, H, W], L = H·W locations),
///
///     s_ijl = src_i · map_j[:, l] / √d,    c_ijl = tclip · tanh(s_ijl / tclip),
///     ℓ_il = −log( exp(c_iil) / (exp(c_iil) + Σ_{j≠i, l'} exp(c_ijl')) ),
///     loss = weight · ( mean_{i,l} ℓ_il + reg · mean_{i,j,l} s_ijl² ),
///
/// so the positive of source i is its own image's map, location by location, and its negatives are every location
/// of every other image's map. The clip (tclip 10 in bolts, 20 in AMDIM's runs) and the regulariser (reg 0.05) keep
/// the scores from running away. `weight` scales the loss and its gradients (a method averages comparisons with it).
///
/// Each row is shifted by its largest negative, and ℓ is `positiveLoss` of the negatives' sum, so the result is
/// exact for every tclip (the positive's exp may overflow: ℓ is then 0, as it should be). The [B, B·L] scores are
/// made by one GEMM, turned into their gradient in place by a pass per row and taken to both inputs by two more
/// GEMMs within this call: nothing of size B·B·L outlives it. B ≥ 2, since the negatives come from other images.
/// Non-finite inputs are reported by the result's `value()`.
public func featureMapContrastiveLoss(sources: Tensor, targets: Tensor, tclip: Float = 20, regularization: Float = 0.05,
                                      weight: Float = 1) throws -> FeatureMapLossResult {
    let op = "featureMapContrastiveLoss"
    try requireRank(op, sources, 2, name: "sources")
    try requireNCHW(op, targets.shape, name: "targets")
    let (b, d, height, width) = (targets.shape[0], targets.shape[1], targets.shape[2], targets.shape[3])
    guard sources.shape == [b, d] else {
        throw SimileError.shapeMismatch(op: op, detail: "sources \(sources.shape) must be one \(d)-vector per target "
                                        + "map of \(targets.shape)")
    }
    try requireSameDevice(op, sources, targets)
    guard b >= 2, d >= 1 else {
        throw SimileError.invalidArgument("\(op): needs at least 2 images of at least 1 channel (the negatives are the "
                                          + "other images' maps), got targets \(targets.shape)")
    }
    for (name, value) in [("tclip", tclip), ("weight", weight)] where !(value.isFinite && value > 0) {
        throw SimileError.invalidArgument("\(op): \(name) must be finite and > 0, got \(value)")
    }
    guard regularization.isFinite, regularization >= 0 else {
        throw SimileError.invalidArgument("\(op): regularization must be finite and ≥ 0, got \(regularization)")
    }
    let locations = height * width
    try requireKernelSizes(op, [try CheckedSize.elements([b, b, height, width])], name: "the score count B·B·L")
    let readout = try LossReadout(op, inputs: [("sources", sources), ("targets", targets)])
    let rows = try channelsLast(targets)
    let scores = try matmul(sources, rows, transposeB: true)
    let scale = FeatureMapScoreScale(images: b, locations: locations, inverseRootD: 1 / Float(d).squareRoot(),
                                     tclip: tclip, regularization: regularization, weight: weight)
    switch sources.device.backend {
    case .cpu(let cpu):
        cpu.featureMapLossRows(scores, scale, loss: readout.loss)
    case .opencl(let cl):
        try cl.featureMapLossRows(scores, scale, loss: readout.loss)
    }
    let sourceGradient = try matmul(scores, rows)
    let rowGradient = try matmul(scores, sources, transposeA: true)
    return FeatureMapLossResult(sourceGradient: sourceGradient,
                                targetGradient: try channelsFirst(rowGradient, height: height, width: width),
                                readout: readout)
}

/// The sizes and constants of one feature-map loss's row pass.
struct FeatureMapScoreScale {
    let images: Int, locations: Int
    let inverseRootD: Float, tclip: Float, regularization: Float, weight: Float
}
