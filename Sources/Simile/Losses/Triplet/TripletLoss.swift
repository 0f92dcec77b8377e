/// How the triplet loss picks each anchor's negative from the batch.
public enum TripletMining: String, CaseIterable, Codable, Sendable {
    /// The closest negative (batch-hard, Hermans et al. 2017).
    case hardest
    /// FaceNet's semi-hard negative (Schroff et al. 2015), as TensorFlow's `triplet_semihard_loss` picks it: the
    /// closest negative farther from the anchor than its positive; when none is, the farthest negative.
    case semiHard = "semi-hard"
}

/// The triplet loss (the survey's first contrastive loss: one anchor, one positive, one negative) of two views z1,
/// z2 of N images stacked as z [2N, d], with its gradient, both left on z's device. Rows are L2-normalised inside,
/// as FaceNet's embeddings are; distances are squared Euclidean between unit rows, d_ij = ‖û_i − û_j‖² = 2 − 2 s_ij
/// with s_ij = û_i·û_j. Each of the M = 2N rows is an anchor a, its positive p(a) the other view of its image
/// (a ± N), its negative n(a) one of the other M − 2 rows, mined from the batch (`TripletMining`; ties go to the
/// lowest row), and
///
///     L = (1/M) Σ_a max(d_{a,p(a)} − d_{a,n(a)} + margin, 0)
///
/// (the mean over anchors, both directions, as the contrastive losses here). The mining picks, it takes no gradient:
/// dL/dû flows into the anchor, its positive and its negative of each active triplet, and back through the
/// normalisation. No M × M matrix is kept: each anchor's similarities are reduced to its negative as they are made
/// (a row block at a time on the CPU, a work-group per anchor on OpenCL), and the backward pass needs only the M
/// mined rows. A margin must be finite and ≥ 0; z needs at least 2 images (a negative) and finite values, which
/// `value()` reports.
public func tripletLoss(_ z: Tensor, margin: Float = 0.2, mining: TripletMining = .semiHard) throws
    -> ContrastiveLossResult {
    let op = "tripletLoss"
    guard z.shape.count == 2, z.shape[1] >= 1, z.shape[0] % 2 == 0 else {
        throw SimileError.shapeMismatch(op: op, detail: "z must be 2-D (2N × d) with features, got shape \(z.shape)")
    }
    guard z.shape[0] >= 4 else {
        throw SimileError.invalidArgument("\(op): N = \(z.shape[0] / 2) image(s); at least 2 are needed for a negative")
    }
    guard margin.isFinite, margin >= 0 else {
        throw SimileError.invalidArgument("\(op): the margin must be finite and ≥ 0, got \(margin)")
    }
    guard z.count < Int(Int32.max) else {
        throw SimileError.invalidArgument("\(op): z \(z.shape) must stay below 2³¹ elements (32-bit indices)")
    }
    let readout = try LossReadout(op, inputs: [("z", z)])
    let (units, norms) = try l2Normalize(z)
    let unitGradient: Tensor
    switch z.device.backend {
    case .cpu(let cpu):
        unitGradient = try tripletLossCPU(cpu, units: units, margin: margin, mining: mining, loss: readout.loss)
    case .opencl(let cl):
        unitGradient = try tripletLossOpenCL(cl, units: units, margin: margin, mining: mining, loss: readout.loss)
    }
    return ContrastiveLossResult(gradient: try l2NormalizeBackward(y: units, norms: norms, gradient: unitGradient),
                                 readout: readout)
}

/// One anchor's mining over the similarities it is made of, candidate by candidate in any order: the hardest (the
/// largest s), the semi-hard (the largest s below the positive's) and the easiest (the smallest s), each the lowest
/// row among equals. `merge` combines two partial results, as OpenCL's work-items do.
struct TripletCandidates {
    var hardest = (row: -1, s: Float(0))
    var semiHard = (row: -1, s: Float(0))
    var easiest = (row: -1, s: Float(0))

    mutating func consider(_ row: Int, _ s: Float, positive: Float) {
        Self.keep(&hardest, (row, s), larger: true)
        if s < positive { Self.keep(&semiHard, (row, s), larger: true) }
        Self.keep(&easiest, (row, s), larger: false)
    }

    /// The negative `mining` takes: the semi-hard one falls back on the easiest when no negative is farther than the
    /// positive.
    func negative(_ mining: TripletMining) -> (row: Int, s: Float) {
        mining == .hardest ? hardest : semiHard.row >= 0 ? semiHard : easiest
    }

    private static func keep(_ best: inout (row: Int, s: Float), _ candidate: (row: Int, s: Float), larger: Bool) {
        if best.row < 0 || (larger ? candidate.s > best.s : candidate.s < best.s)
            || (candidate.s == best.s && candidate.row < best.row) {
            best = candidate
        }
    }
}
