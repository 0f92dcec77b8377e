/// SwAV's swapped-prediction loss (Caron et al. 2020; lightly's `SwaVLoss` without a queue) for V views of B images,
/// the first `codedViews` of them the large crops whose codes are the targets: for scores S [V·B, K] of the views'
/// unit embeddings against K unit prototypes (rows v·B ..< (v + 1)·B the v-th views), each coded view i gets codes
/// Qᵢ, the Sinkhorn–Knopp assignment of its own B rows (`sinkhorn`, no gradient), and every other view predicts them:
///
///     L = (1/H) Σᵢ (1/(V − 1)) Σ_{v ≠ i} CE(S_v, Qᵢ),   CE(S, Q) = −(1/B) Σ_b Σₖ q_bk log softmax(s_b/τ)ₖ,
///
/// over the H = `codedViews` coded views (two views: ½ (CE(S₂, Q₁) + CE(S₁, Q₂))). With a queue of past embeddings,
/// `queued[i]` [L, K] holds their scores for coded view i: Sinkhorn then runs over the B + L rows together and the
/// codes are the batch's B rows of the result (SwAV's queue, which evens the assignment over more samples than a
/// small batch). Computed as one
/// `softTargetCrossEntropy` of the views' scores stacked once per code they predict against the codes repeated, whose
/// mean over the H·(V − 1)·B rows is L; each view's gradient is the sum of its stacked copies'. Returns the loss with
/// dL/dS, left on the device.
public func swappedPredictionLoss(scores: Tensor, views: Int = 2, codedViews: Int = 2, queued: [Tensor] = [],
                                  temperature: Float = 0.1, epsilon: Float = 0.05,
                                  iterations: Int = 3) throws -> SoftTargetCrossEntropyResult {
    let op = "swappedPredictionLoss"
    try requireRank(op, scores, 2, name: "scores")
    guard views >= 2, (1...views).contains(codedViews) else {
        throw SimileError.invalidArgument("\(op): \(views) views with \(codedViews) coded; at least 2 views, and 1 to "
                                          + "\(views) of them coded")
    }
    let b = scores.shape[0] / views
    guard b >= 1, scores.shape[0] == views * b else {
        throw SimileError.invalidArgument("\(op): scores \(scores.shape) need \(views)·B rows (B ≥ 1 per view)")
    }
    guard queued.isEmpty || (queued.count == codedViews
                             && queued.allSatisfy { $0.shape.count == 2 && $0.shape[1] == scores.shape[1] }) else {
        throw SimileError.shapeMismatch(op: op, detail: "queued scores \(queued.map(\.shape)) must be one [L, \(scores.shape[1])] "
                                        + "per coded view (\(codedViews)), or none")
    }
    func view(_ v: Int) throws -> Tensor { try rowBlock(scores, v * b ..< (v + 1) * b) }
    func codes(_ i: Int) throws -> Tensor {
        guard i < queued.count else { return try sinkhorn(view(i), epsilon: epsilon, iterations: iterations) }
        return try rowBlock(sinkhorn(stackingRows([view(i), queued[i]]), epsilon: epsilon, iterations: iterations), 0..<b)
    }
    let pairs = (0..<codedViews).flatMap { i in (0..<views).filter { $0 != i }.map { (code: i, view: $0) } }
    let codes = try (0..<codedViews).map(codes)
    let stacked = try softTargetCrossEntropy(logits: stackingRows(pairs.map { try view($0.view) }),
                                             targets: stackingRows(pairs.map { codes[$0.code] }),
                                             temperature: temperature)
    let gradient = try stackingRows((0..<views).map { v in
        let copies = try pairs.indices.filter { pairs[$0].view == v }
            .map { try rowBlock(stacked.logitGradient, $0 * b ..< ($0 + 1) * b) }
        // A lone coded view predicts nothing and gets no gradient.
        guard let first = copies.first else { return try Tensor.zeros([b, scores.shape[1]], on: scores.device) }
        return try copies.dropFirst().reduce(first) { try add($0, $1) }
    })
    return SoftTargetCrossEntropyResult(logitGradient: gradient, readout: stacked.readout)
}
