extension Reference {
    /// What `layerNorm` computes, in float64, for x viewed as [n, d]: each row normalised with its mean and biased
    /// variance (two passes), then scaled by γ[d] and shifted by β[d].
    public static func layerNorm(_ x: [Double], n: Int, d: Int, gamma: [Double], beta: [Double], eps: Double)
        -> (y: [Double], mean: [Double], inverseStd: [Double]) {
        var y = x, mean = [Double](repeating: 0, count: n), inverseStd = mean
        for row in 0..<n {
            let values = x[row * d..<(row + 1) * d]
            mean[row] = values.reduce(0, +) / Double(d)
            let variance = values.reduce(0) { $0 + ($1 - mean[row]) * ($1 - mean[row]) } / Double(d)
            inverseStd[row] = 1 / (variance + eps).squareRoot()
            for i in 0..<d { y[row * d + i] = (x[row * d + i] - mean[row]) * inverseStd[row] * gamma[i] + beta[i] }
        }
        return (y, mean, inverseStd)
    }

    /// What `layerNormBackward` computes, in float64: dx row by row from g = dy·γ and x̂, dγ = Σ_n dy·x̂, dβ = Σ_n dy.
    public static func layerNormBackward(_ dy: [Double], _ x: [Double], n: Int, d: Int, gamma: [Double], eps: Double)
        -> (dx: [Double], dgamma: [Double], dbeta: [Double]) {
        let (_, mean, inverseStd) = layerNorm(x, n: n, d: d, gamma: gamma, beta: gamma, eps: eps)
        var dx = x, dgamma = [Double](repeating: 0, count: d), dbeta = dgamma
        for row in 0..<n {
            let range = row * d..<(row + 1) * d
            let xHat = range.map { (x[$0] - mean[row]) * inverseStd[row] }
            let g = range.map { dy[$0] * gamma[$0 - row * d] }
            let gMean = g.reduce(0, +) / Double(d)
            let gxMean = zip(g, xHat).reduce(0) { $0 + $1.0 * $1.1 } / Double(d)
            for i in 0..<d {
                dx[row * d + i] = inverseStd[row] * (g[i] - gMean - xHat[i] * gxMean)
                dgamma[i] += dy[row * d + i] * xHat[i]
                dbeta[i] += dy[row * d + i]
            }
        }
        return (dx, dgamma, dbeta)
    }
}
