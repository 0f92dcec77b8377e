/// SwAV's loss for two views (Caron et al. 2020; lightly's `SwaVLoss` with two high-resolution crops and no queue):
/// for scores S [2B, K] of the views' unit embeddings against K unit prototypes (rows 0..<B the first views, B..<2B
/// the second), each view's codes are the Sinkhorn–Knopp assignment of its own B rows (`sinkhorn`, no gradient), and
/// each view predicts the other's codes:
///
///     L = ½ (CE(S₂, Q₁) + CE(S₁, Q₂)),   CE(S, Q) = −(1/B) Σᵢ Σₖ qᵢₖ log softmax(sᵢ/τ)ₖ,
///
/// computed as one `softTargetCrossEntropy` of S against the swapped codes [Q₂; Q₁], whose mean over 2B rows is that
/// average. Returns the loss with dL/dS, left on the device.
public func swappedPredictionLoss(scores: Tensor, temperature: Float = 0.1, epsilon: Float = 0.05,
                                  iterations: Int = 3) throws -> SoftTargetCrossEntropyResult {
    let op = "swappedPredictionLoss"
    try requireRank(op, scores, 2, name: "scores")
    let half = scores.shape[0] / 2
    guard half >= 1, scores.shape[0] == 2 * half else {
        throw SimileError.invalidArgument("\(op): scores \(scores.shape) need 2B rows (B ≥ 1 per view)")
    }
    let k = scores.shape[1]
    let swapped = try Tensor(uninitialized: scores.shape, on: scores.device)
    for (view, destination) in [(0, half), (half, 0)] {
        let rows = try Tensor(uninitialized: [half, k], on: scores.device)
        try copyRows(scores, from: view, count: half, into: rows, at: 0)
        try copyRows(sinkhorn(rows, epsilon: epsilon, iterations: iterations), from: 0, count: half, into: swapped,
                     at: destination)
    }
    return try softTargetCrossEntropy(logits: scores, targets: swapped, temperature: temperature)
}
