extension Reference {
    /// The negative-cosine loss of predictions p (N × d) against targets z (N × d) and dLoss/dp, in float64: the
    /// definition the fused op is checked against. Rows are L2-normalised (û = u / max(‖u‖, 1e-12)); row i of p is
    /// paired with row π(i) of z, π(i) = i or, with `swapHalves`, (i + N/2) mod N; c_i = p̂_i·ẑ_π(i) and ℓ_i = −c_i
    /// (`.negativeCosine`) or 2 − 2·c_i (`.byol`); the loss is the mean over i. dp̂_i = (dℓ_i/dc_i)/N · ẑ_π(i), and dp
    /// follows through the normalisation (`l2NormalizeBackward`); z gets no gradient.
    public static func negativeCosineLoss(predictions: [Double], targets: [Double], rows n: Int, cols d: Int,
                                          form: NegativeCosineForm, swapHalves: Bool)
        -> (loss: Double, predictionGradient: [Double]) {
        let p = l2Normalize(predictions, rows: n, cols: d, eps: 1e-12).y
        let z = l2Normalize(targets, rows: n, cols: d, eps: 1e-12).y
        let slope = form == .byol ? -2.0 : -1.0, constant = form == .byol ? 2.0 : 0.0
        var loss = 0.0, dp = [Double](repeating: 0, count: n * d)
        for i in 0..<n {
            let j = swapHalves ? (i + n / 2) % n : i
            var cosine = 0.0
            for x in 0..<d { cosine += p[i * d + x] * z[j * d + x] }
            loss += constant + slope * cosine
            for x in 0..<d { dp[i * d + x] = slope / Double(n) * z[j * d + x] }
        }
        return (loss / Double(n), l2NormalizeBackward(predictions, dp, rows: n, cols: d, eps: 1e-12))
    }
}
