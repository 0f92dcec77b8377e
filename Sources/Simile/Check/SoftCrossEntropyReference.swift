import Foundation

extension Reference {
    /// −(1/N) Σᵢ Σₖ qᵢₖ log softmax(pᵢ/τ)ₖ and its gradient with respect to p, in float64, written from the definition
    /// (log softmax through the row's logsumexp), for `softTargetCrossEntropy` to be checked against.
    public static func softTargetCrossEntropy(logits p: [Double], targets q: [Double], rows n: Int, cols k: Int,
                                              temperature tau: Double) -> (loss: Double, gradient: [Double]) {
        var loss = 0.0, gradient = [Double](repeating: 0, count: n * k)
        for i in 0..<n {
            let z = (0..<k).map { p[i * k + $0] / tau }
            let top = z.max()!
            let lse = top + log(z.reduce(0) { $0 + exp($1 - top) })
            let weight = (0..<k).reduce(0) { $0 + q[i * k + $1] }
            for c in 0..<k {
                loss -= q[i * k + c] * (z[c] - lse)
                gradient[i * k + c] = (exp(z[c] - lse) * weight - q[i * k + c]) / (Double(n) * tau)
            }
        }
        return (loss / Double(n), gradient)
    }
}

extension Reference {
    /// SwAV's loss in float64 as lightly's `SwaVLoss` writes it, for V views of B rows each of S [V·B, K], the first
    /// H coded: codes Qᵢ by `sinkhorn` of each coded view's rows, then (1/H) Σᵢ (1/(V − 1)) Σ_{v≠i} CE(S_v, Qᵢ) with
    /// each CE a mean over B, and dL/dS. With `queued[i]` (L rows of K scores), coded view i's codes are the first B
    /// rows of `sinkhorn` over its rows and those together.
    public static func swappedPredictionLoss(scores s: [Double], views: Int = 2, codedViews: Int = 2,
                                             queued: [[Double]] = [], samples b: Int, prototypes k: Int,
                                             temperature: Double, epsilon: Double,
                                             iterations: Int) -> (loss: Double, gradient: [Double]) {
        func view(_ v: Int) -> [Double] { Array(s[v * b * k ..< (v + 1) * b * k]) }
        var loss = 0.0, gradient = [Double](repeating: 0, count: s.count)
        let weight = 1 / Double(codedViews * (views - 1))
        for i in 0..<codedViews {
            let rows = view(i) + (i < queued.count ? queued[i] : [])
            let codes = Array(sinkhorn(rows, samples: rows.count / k, prototypes: k, epsilon: epsilon,
                                       iterations: iterations, shift: true)[..<(b * k)])
            for v in 0..<views where v != i {
                let term = softTargetCrossEntropy(logits: view(v), targets: codes, rows: b, cols: k, temperature: temperature)
                loss += weight * term.loss
                for (j, g) in term.gradient.enumerated() { gradient[v * b * k + j] += weight * g }
            }
        }
        return (loss, gradient)
    }
}
