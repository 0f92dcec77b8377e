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
