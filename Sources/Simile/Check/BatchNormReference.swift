extension Reference {
    /// What `batchNormTraining` / `batchNormInference` compute, in float64, for x viewed as [N, C, S]
    /// (S = H·W for [N, C, H, W]; S = 1 for [N, C]). Training normalises with the biased batch variance
    /// (two passes: the mean, then the squared deviations) and returns the running statistics updated
    /// PyTorch-style with the unbiased variance; eval normalises with the given running statistics and
    /// returns them unchanged. `residual` (x's layout) is added to the output, then `relu` applies max(0, ·).
    public static func batchNorm(_ x: [Double], n: Int, c: Int, s: Int, gamma: [Double], beta: [Double],
                                 runningMean: [Double], runningVariance: [Double], training: Bool,
                                 momentum: Double, eps: Double, residual: [Double]? = nil, relu: Bool)
        -> (y: [Double], mean: [Double], inverseStd: [Double], runningMean: [Double], runningVariance: [Double]) {
        var y = x, mean = runningMean, inverseStd = [Double](repeating: 0, count: c)
        var newMean = runningMean, newVariance = runningVariance
        let count = Double(n * s)
        for channel in 0..<c {
            let values = channelValues(x, n: n, c: c, s: s, channel: channel)
            var variance = runningVariance[channel]
            if training {
                mean[channel] = values.reduce(0, +) / count
                variance = values.reduce(0) { $0 + ($1 - mean[channel]) * ($1 - mean[channel]) } / count
                newMean[channel] = (1 - momentum) * runningMean[channel] + momentum * mean[channel]
                newVariance[channel] = (1 - momentum) * runningVariance[channel]
                    + momentum * variance * count / (count - 1)
            }
            inverseStd[channel] = 1 / (variance + eps).squareRoot()
            for index in channelIndices(n: n, c: c, s: s, channel: channel) {
                let value = gamma[channel] * (x[index] - mean[channel]) * inverseStd[channel] + beta[channel]
                    + (residual?[index] ?? 0)
                y[index] = relu ? max(0, value) : value
            }
        }
        return (y, mean, inverseStd, newMean, newVariance)
    }

    /// The gradient of training-mode batch normalisation (through the batch statistics) given the
    /// upstream gradient dy, in float64. With g = dy (zeroed where the fused ReLU's output, residual
    /// included, is ≤ 0), x̂ = (x − μ)/σ and M = N·S values per channel: dβ = Σ g, dγ = Σ g·x̂ and
    /// dx = γ/σ · (g − dβ/M − x̂·dγ/M).
    public static func batchNormBackward(_ x: [Double], _ dy: [Double], n: Int, c: Int, s: Int, gamma: [Double],
                                         beta: [Double], eps: Double, residual: [Double]? = nil, relu: Bool)
        -> (dx: [Double], dgamma: [Double], dbeta: [Double]) {
        let zeros = [Double](repeating: 0, count: c)
        let forward = batchNorm(x, n: n, c: c, s: s, gamma: gamma, beta: beta, runningMean: zeros,
                                runningVariance: zeros, training: true, momentum: 0, eps: eps, residual: residual,
                                relu: relu)
        var dx = x, dgamma = zeros, dbeta = zeros
        let count = Double(n * s)
        for channel in 0..<c {
            let indices = channelIndices(n: n, c: c, s: s, channel: channel)
            let inverseStd = forward.inverseStd[channel]
            func normalized(_ index: Int) -> Double { (x[index] - forward.mean[channel]) * inverseStd }
            func upstream(_ index: Int) -> Double { relu && forward.y[index] <= 0 ? 0 : dy[index] }
            for index in indices {
                dbeta[channel] += upstream(index)
                dgamma[channel] += upstream(index) * normalized(index)
            }
            for index in indices {
                dx[index] = gamma[channel] * inverseStd
                    * (upstream(index) - dbeta[channel] / count - normalized(index) * dgamma[channel] / count)
            }
        }
        return (dx, dgamma, dbeta)
    }

    /// The flat indices of channel `channel`'s values in x viewed as [N, C, S].
    private static func channelIndices(n: Int, c: Int, s: Int, channel: Int) -> [Int] {
        (0..<n).flatMap { sample in (0..<s).map { (sample * c + channel) * s + $0 } }
    }

    private static func channelValues(_ x: [Double], n: Int, c: Int, s: Int, channel: Int) -> [Double] {
        channelIndices(n: n, c: c, s: s, channel: channel).map { x[$0] }
    }
}
