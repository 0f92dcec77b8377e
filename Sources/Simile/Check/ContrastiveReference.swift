import Foundation

extension Reference {
    /// The contrastive loss of z (2N × d, rows 0..<N view 1, N..<2N view 2) and dLoss/dz, in float64
    /// with the full 2N × 2N similarity matrix: the definition the fused kernels are checked against.
    ///
    /// Each row's negatives (k ∉ {i, p(i)}) are taken apart from its positive: NT-Xent's ℓ_i is `positiveLoss`
    /// (exact when tiny), DCL's and DCLW's ℓ_i = −w_i s_{i,p(i)} + lse_i over the negatives. With P_ik the softmax
    /// of row i's denominator, the gradient with respect to the normalised rows is dU = ((P + Pᵀ) U − 2 W U_p) /
    /// (M τ), where U_p holds each row's positive and W the positive weights; NT-Xent's 2 − P_{i,p(i)} − P_{p(i),i}
    /// on the positive is the sum of the two rows' negatives' probabilities, not a subtraction that would cancel.
    /// dz then follows through the L2 normalisation. `frozenWeights` replaces DCLW's weights by
    /// constants (to check by finite differences that no gradient flows through them).
    public static func contrastiveLoss(_ z: [Double], rows: Int, cols: Int, method: ContrastiveMethod,
                                       temperature: Double, sigma: Double = 0.5,
                                       frozenWeights: [Double]? = nil) -> (loss: Double, gradient: [Double]) {
        let m = rows, n = rows / 2
        let u = l2Normalize(z, rows: m, cols: cols, eps: 1e-12).y
        func dot(_ i: Int, _ k: Int) -> Double { (0..<cols).reduce(0) { $0 + u[i * cols + $1] * u[k * cols + $1] } }
        func positive(_ i: Int) -> Int { i < n ? i + n : i - n }
        let weights = frozenWeights ?? positiveWeights(method: method, n: n, sigma: sigma) { dot($0, $0 + n) }
        let s = (0..<m * m).map { dot($0 / m, $0 % m) / temperature }
        func isNegative(_ i: Int, _ k: Int) -> Bool { k != i && k != positive(i) }

        // P_ik over row i's negatives, and the coefficient of row i's positive in dU: NT-Xent's 1 − P₊, or w_i.
        var p = [Double](repeating: 0, count: m * m), partner = [Double](repeating: 0, count: m), loss = 0.0
        for i in 0..<m {
            let positiveLogit = s[i * m + positive(i)], negatives = (0..<m).filter { isNegative(i, $0) }
            let logits = negatives.map { s[i * m + $0] }
            let probabilities: [Double]
            if method == .ntxent {
                let term = positiveLoss(positiveLogit, negatives: logits)
                probabilities = term.probabilities
                partner[i] = probabilities.reduce(0, +)
                loss += term.loss
            } else {
                let peak = logits.max()!, terms = logits.map { exp($0 - peak) }, sum = terms.reduce(0, +)
                probabilities = terms.map { $0 / sum }
                partner[i] = weights[i % n]
                loss += -weights[i % n] * positiveLogit + peak + log(sum)
            }
            for (k, probability) in zip(negatives, probabilities) { p[i * m + k] = probability }
        }
        var dU = [Double](repeating: 0, count: m * cols)
        for i in 0..<m {
            for k in 0..<m where k != i {
                let coefficient = k == positive(i) ? -(partner[i] + partner[k]) : p[i * m + k] + p[k * m + i]
                for c in 0..<cols { dU[i * cols + c] += coefficient * u[k * cols + c] / (Double(m) * temperature) }
            }
        }
        return (loss / Double(m), l2NormalizeBackward(z, dU, rows: m, cols: cols, eps: 1e-12))
    }

    /// −log of a positive's softmax probability, ℓ = log(1 + Σ_k exp(s_k − s₊)), and the negatives' softmax
    /// probabilities P_k, in float64 (their sum is 1 − P₊, without the subtraction that would cancel). By log1p where
    /// the positive leads: lse − s₊ errs by ~1e-16·|s₊|, 5e-7 of the 4e-9 of near-identical views with antipodal
    /// negatives at τ = 0.1, too coarse to check float32 against. Past that, ℓ = top + log(e^−top + Σ_k exp(s_k −
    /// s₊ − top)) with top = the largest s_k − s₊ > 0: ℓ > top, nothing cancels. Every exp is of a difference from
    /// s₊ + top, never from lse, which rounds by ~1e14 at τ = 1e-30.
    static func positiveLoss(_ positive: Double, negatives: [Double]) -> (loss: Double, probabilities: [Double]) {
        let top = max(0, negatives.max()! - positive)
        let terms = negatives.map { exp($0 - positive - top) }
        let sum = terms.reduce(0, +), denominator = exp(-top) + sum
        return (top == 0 ? log1p(sum) : top + log(denominator), terms.map { $0 / denominator })
    }

    /// DCLW's positive weights w_n = 2 − N·softmax_n(u1_n·u2_n / σ) for the N images of z; 1 for the other methods.
    public static func positiveWeights(_ z: [Double], rows: Int, cols: Int, method: ContrastiveMethod,
                                       sigma: Double) -> [Double] {
        let u = l2Normalize(z, rows: rows, cols: cols, eps: 1e-12).y, n = rows / 2
        return positiveWeights(method: method, n: n, sigma: sigma) { image in
            (0..<cols).reduce(0) { $0 + u[image * cols + $1] * u[(image + n) * cols + $1] }
        }
    }

    static func positiveWeights(method: ContrastiveMethod, n: Int, sigma: Double,
                                alignment: (Int) -> Double) -> [Double] {
        guard method == .dclw else { return [Double](repeating: 1, count: n) }
        let scores = (0..<n).map { alignment($0) / sigma }
        let peak = scores.max()!
        let exps = scores.map { exp($0 - peak) }
        let total = exps.reduce(0, +)
        return exps.map { 2 - Double(n) * $0 / total }
    }
}
