import Foundation

extension Reference {
    /// InfoNCE of queries q (N × d) against their keys k (N × d) and a memory bank b (K × d), with dLoss/dq and
    /// dLoss/dk, in float64 with the full N × (K + 1) logit matrix: the definition the fused kernels are checked
    /// against. Rows are L2-normalised (û = u / max(‖u‖, 1e-12)); row i's logits are s_i+ = q̂_i·k̂_i/τ (column 0)
    /// and s_ij = q̂_i·b̂_j/τ; ℓ_i = −s_i+ + log(exp(s_i+) + Σ_j exp(s_ij)) (`positiveLoss`, exact when tiny) and the
    /// loss is their mean. With P the row-wise softmax of the logits and T = P − [1, 0, …, 0], dq̂_i = (T_i+ k̂_i +
    /// Σ_j T_ij b̂_j)/(Nτ) and dk̂_i = T_i+ q̂_i/(Nτ), where T_i+ = −Σ_j P_ij, not P_i+ − 1, which would cancel;
    /// dq and dk follow through the normalisation. The bank gets no gradient.
    public static func infoNCELoss(queries: [Double], keys: [Double], bank: [Double], rows n: Int, bankRows k: Int,
                                   cols d: Int, temperature: Double)
        -> (loss: Double, queryGradient: [Double], keyGradient: [Double]) {
        let q = l2Normalize(queries, rows: n, cols: d, eps: 1e-12).y
        let keyUnits = l2Normalize(keys, rows: n, cols: d, eps: 1e-12).y
        let b = l2Normalize(bank, rows: k, cols: d, eps: 1e-12).y
        /// Column c of row i's logits: the key (c = 0) or bank row c − 1.
        func column(_ i: Int, _ c: Int) -> ArraySlice<Double> {
            c == 0 ? keyUnits[i * d..<(i + 1) * d] : b[(c - 1) * d..<c * d]
        }
        var loss = 0.0
        var dq = [Double](repeating: 0, count: n * d), dk = [Double](repeating: 0, count: n * d)
        for i in 0..<n {
            let row = q[i * d..<(i + 1) * d]
            let logits = (0...k).map { c in zip(row, column(i, c)).reduce(0) { $0 + $1.0 * $1.1 } / temperature }
            let term = positiveLoss(logits[0], negatives: Array(logits[1...]))
            loss += term.loss
            for c in 0...k {
                let p = c == 0 ? -term.probabilities.reduce(0, +) : term.probabilities[c - 1]
                let t = p / (Double(n) * temperature)
                for (x, value) in column(i, c).enumerated() { dq[i * d + x] += t * value }
                if c == 0 { for x in 0..<d { dk[i * d + x] = t * q[i * d + x] } }
            }
        }
        return (loss / Double(n), l2NormalizeBackward(queries, dq, rows: n, cols: d, eps: 1e-12),
                l2NormalizeBackward(keys, dk, rows: n, cols: d, eps: 1e-12))
    }

    /// For each row of u (N × d), the index of the row of `support` (K × d) with the largest cosine similarity
    /// (the lowest index among equals) and that similarity, by brute force in float64.
    public static func nearestNeighbours(of u: [Double], in support: [Double], rows n: Int, supportRows k: Int,
                                         cols d: Int) -> (indices: [Int], similarities: [Double]) {
        let units = l2Normalize(u, rows: n, cols: d, eps: 1e-12).y
        let s = l2Normalize(support, rows: k, cols: d, eps: 1e-12).y
        var indices = [Int](), similarities = [Double]()
        for i in 0..<n {
            var best = -Double.infinity, index = 0
            for j in 0..<k {
                let similarity = (0..<d).reduce(0) { $0 + units[i * d + $1] * s[j * d + $1] }
                if similarity > best { (best, index) = (similarity, j) }
            }
            indices.append(index)
            similarities.append(best)
        }
        return (indices, similarities)
    }
}

extension Reference {
    /// The non-parametric softmax of InstDisc in float64 with the full N × K logit matrix: ℓ_i = −s_{i,t_i} +
    /// log Σ_j exp(s_ij) with s_ij = q̂_i·b̂_j/τ and t_i = targets[i], the mean over i, and dLoss/dq: dq̂_i =
    /// (Σ_j P_ij b̂_j − b̂_{t_i})/(Nτ), through the normalisation. The bank gets no gradient.
    public static func bankSoftmaxLoss(queries: [Double], bank: [Double], targets: [Int], rows n: Int, bankRows k: Int,
                                       cols d: Int, temperature: Double) -> (loss: Double, queryGradient: [Double]) {
        let q = l2Normalize(queries, rows: n, cols: d, eps: 1e-12).y
        let b = l2Normalize(bank, rows: k, cols: d, eps: 1e-12).y
        var loss = 0.0, dq = [Double](repeating: 0, count: n * d)
        for i in 0..<n {
            let logits = (0..<k).map { j in (0..<d).reduce(0) { $0 + q[i * d + $1] * b[j * d + $1] } / temperature }
            let top = logits.max()!, sum = logits.reduce(0) { $0 + exp($1 - top) }
            loss += top + log(sum) - logits[targets[i]]
            for j in 0..<k {
                let t = (exp(logits[j] - top) / sum - (j == targets[i] ? 1 : 0)) / (Double(n) * temperature)
                for x in 0..<d { dq[i * d + x] += t * b[j * d + x] }
            }
        }
        return (loss / Double(n), l2NormalizeBackward(queries, dq, rows: n, cols: d, eps: 1e-12))
    }
}
