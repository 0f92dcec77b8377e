import Foundation

extension Reference {
    /// The contrastive loss of z (2N × d, rows 0..<N view 1, N..<2N view 2) and dLoss/dz, in float64
    /// with the full 2N × 2N similarity matrix: the definition the fused kernels are checked against.
    ///
    /// With P_ik = exp(s_ik − lse_i) over the anchors k in row i's denominator, the gradient with respect
    /// to the normalised rows is dU = ((P + Pᵀ) U − 2 W U_p) / (M τ), where U_p holds each row's positive
    /// and W the positive weights; dz then follows through the L2 normalisation. `frozenWeights` replaces
    /// DCLW's weights by constants (to check by finite differences that no gradient flows through them).
    public static func contrastiveLoss(_ z: [Double], rows: Int, cols: Int, method: ContrastiveMethod,
                                       temperature: Double, sigma: Double = 0.5,
                                       frozenWeights: [Double]? = nil) -> (loss: Double, gradient: [Double]) {
        let m = rows, n = rows / 2
        let u = l2Normalize(z, rows: m, cols: cols, eps: 1e-12).y
        func dot(_ i: Int, _ k: Int) -> Double { (0..<cols).reduce(0) { $0 + u[i * cols + $1] * u[k * cols + $1] } }
        func positive(_ i: Int) -> Int { i < n ? i + n : i - n }
        let weights = frozenWeights ?? positiveWeights(method: method, n: n, sigma: sigma) { dot($0, $0 + n) }
        let s = (0..<m * m).map { dot($0 / m, $0 % m) / temperature }
        func inDenominator(_ i: Int, _ k: Int) -> Bool { k != i && !(method.excludesPositive && k == positive(i)) }

        var lse = [Double](repeating: 0, count: m), loss = 0.0
        for i in 0..<m {
            let terms = (0..<m).filter { inDenominator(i, $0) }.map { s[i * m + $0] }
            let peak = terms.max()!
            lse[i] = peak + log(terms.reduce(0) { $0 + exp($1 - peak) })
            loss += -weights[i % n] * s[i * m + positive(i)] + lse[i]
        }
        var dU = [Double](repeating: 0, count: m * cols)
        for i in 0..<m {
            for k in 0..<m {
                var coefficient = 0.0
                if inDenominator(i, k) { coefficient += exp(s[i * m + k] - lse[i]) }
                if inDenominator(k, i) { coefficient += exp(s[i * m + k] - lse[k]) }
                if k == positive(i) { coefficient -= 2 * weights[i % n] }
                for c in 0..<cols { dU[i * cols + c] += coefficient * u[k * cols + c] / (Double(m) * temperature) }
            }
        }
        return (loss / Double(m), l2NormalizeBackward(z, dU, rows: m, cols: cols, eps: 1e-12))
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
