import Foundation

extension Reference {
    /// `bankNCELoss` by its definition in float64, as the paper writes it: s = q̂·b̂/τ, P(i | v) = exp(s_i)/Z,
    /// h = P/(P + K/n), L = −(1/N) Σ_i [log h(t_i) + Σ_k log(1 − h(j_k))], each log taken through log P = s − log Z
    /// so that exp(s) cannot overflow. log Z is `logNormaliser`, or when nil the first batch's estimate,
    /// log n + log mean exp(s) over the N(K + 1) scores of targets and noise. dLoss/dq: dq̂_i = ((h(t_i) − 1)·b̂_{t_i}
    /// + Σ_k h(j_k)·b̂_{j_k})/(Nτ), through the normalisation. Returns log Z too.
    public static func bankNCELoss(queries: [Double], bank: [Double], targets: [Int], negatives: [Int], rows n: Int,
                                   bankRows: Int, cols d: Int, temperature: Double, logNormaliser: Double?)
        -> (loss: Double, queryGradient: [Double], logNormaliser: Double) {
        let q = l2Normalize(queries, rows: n, cols: d, eps: 1e-12).y
        let b = l2Normalize(bank, rows: bankRows, cols: d, eps: 1e-12).y
        func score(_ i: Int, _ j: Int) -> Double { (0..<d).reduce(0) { $0 + q[i * d + $1] * b[j * d + $1] } / temperature }
        let scores = (0..<n).map { i in [score(i, targets[i])] + negatives.map { score(i, $0) } }
        let logZ = logNormaliser ?? {
            let all = scores.flatMap { $0 }, top = all.max()!
            return log(Double(bankRows)) + top + log(all.reduce(0) { $0 + exp($1 - top) } / Double(all.count))
        }()
        let logNoise = log(Double(negatives.count) / Double(bankRows))
        var loss = 0.0, dq = [Double](repeating: 0, count: n * d)
        for i in 0..<n {
            for (column, s) in scores[i].enumerated() {
                let logP = s - logZ
                // log h = −log(1 + (K/n)/P); log(1 − h) = −log(1 + P/(K/n)).
                let logH = -log1p(exp(logNoise - logP)), logNotH = -log1p(exp(logP - logNoise))
                let isTarget = column == 0
                loss -= isTarget ? logH : logNotH
                let h = exp(logH), row = isTarget ? targets[i] : negatives[column - 1]
                let t = (isTarget ? h - 1 : h) / (Double(n) * temperature)
                for x in 0..<d { dq[i * d + x] += t * b[row * d + x] }
            }
        }
        return (loss / Double(n), l2NormalizeBackward(queries, dq, rows: n, cols: d, eps: 1e-12), logZ)
    }
}
