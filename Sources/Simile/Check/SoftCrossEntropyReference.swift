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
    /// SwAV's two-view loss in float64 as lightly's `SwaVLoss` writes it: codes Q₁, Q₂ by `sinkhorn` of each view's
    /// B rows of S [2B, K], then ½(CE(S₂, Q₁) + CE(S₁, Q₂)) with each CE a mean over B, and dL/dS.
    public static func swappedPredictionLoss(scores s: [Double], samples b: Int, prototypes k: Int, temperature: Double,
                                             epsilon: Double, iterations: Int) -> (loss: Double, gradient: [Double]) {
        let first = Array(s[..<(b * k)]), second = Array(s[(b * k)...])
        func codes(_ view: [Double]) -> [Double] {
            sinkhorn(view, samples: b, prototypes: k, epsilon: epsilon, iterations: iterations, shift: true)
        }
        let onSecond = softTargetCrossEntropy(logits: second, targets: codes(first), rows: b, cols: k,
                                              temperature: temperature)
        let onFirst = softTargetCrossEntropy(logits: first, targets: codes(second), rows: b, cols: k,
                                             temperature: temperature)
        return ((onSecond.loss + onFirst.loss) / 2, (onFirst.gradient + onSecond.gradient).map { $0 / 2 })
    }
}
