import Foundation

extension Reference {
    /// lightly's `sinkhorn` in float64, as written there: Q = exp(S/ε)ᵀ (K × B), Q /= ΣQ, then per round
    /// Q /= row sums, /= K, Q /= column sums, /= B; finally Q *= B, returned [B, K]. `shift` subtracts each
    /// prototype's maximum score first (what the fused op does; without it exp overflows float64 past S/ε ≈ 709).
    public static func sinkhorn(_ scores: [Double], samples b: Int, prototypes k: Int, epsilon: Double,
                                iterations: Int, shift: Bool) -> [Double] {
        var q = [Double](repeating: 0, count: k * b)
        for p in 0..<k {
            let top = shift ? (0..<b).map { scores[$0 * k + p] }.max()! : 0
            for i in 0..<b { q[p * b + i] = exp((scores[i * k + p] - top) / epsilon) }
        }
        let total = q.reduce(0, +)
        q = q.map { $0 / total }
        for _ in 0..<iterations {
            for p in 0..<k {
                let sum = (0..<b).reduce(0.0) { $0 + q[p * b + $1] }
                for i in 0..<b { q[p * b + i] /= sum * Double(k) }
            }
            for i in 0..<b {
                let sum = (0..<k).reduce(0.0) { $0 + q[$1 * b + i] }
                for p in 0..<k { q[p * b + i] /= sum * Double(b) }
            }
        }
        var codes = [Double](repeating: 0, count: b * k)
        for i in 0..<b { for p in 0..<k { codes[i * k + p] = q[p * b + i] * Double(b) } }
        return codes
    }
}
