import Foundation

/// Batch normalisation over the global batch of a data-parallel step (`--sync-bn`, PyTorch's `SyncBatchNorm`):
/// every rank normalises its rows with the mean and variance of all ranks' rows, and its backward pass uses the
/// sums of all ranks' dβ and dγ, so that P ranks of b rows compute what one process computes on P·b rows.
///
/// Built from the single-process ops, with one all-reduce of 2C + 1 doubles each way:
/// - forward: `batchNormTraining` at momentum 0 gives this rank's mean and 1/σ (the running statistics stay as they
///   are); the ranks sum n·mean, n·(var + mean²) and n, which give the global mean and biased variance;
///   `batchNormInference` then normalises with them (with the residual and ReLU epilogue), and the running statistics
///   move toward them as in training (the variance unbiased over the global count).
/// - backward: `batchNormBackward` with the global statistics gives dx for this rank's count and its own dγ, dβ;
///   dx = a·g + b·(x − mean) + d is linear in b and d, so the global dx is the local one plus
///   (b_global − b_local)·(x − mean) + (d_global − d_local) per channel: one `batchNormInference` pass with that
///   scale and shift and the local dx as its residual. dγ and dβ stay per rank: the gradient all-reduce sums them.
final class BatchNormSync {
    let group: ProcessGroup

    init(group: ProcessGroup) { self.group = group }

    func training(_ x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVariance: Tensor,
                  momentum: Float, eps: Float, residual: Tensor?, relu: Bool) throws
        -> (output: Tensor, statistics: BatchNormStatistics) {
        let (_, local) = try batchNormTraining(x, gamma: gamma, beta: beta, runningMean: runningMean,
                                               runningVariance: runningVariance, momentum: 0, eps: eps)
        let (means, inverseStds) = (try local.mean.toArray(), try local.inverseStd.toArray())
        let c = means.count, n = Double(x.count / c)
        var sums = [Double](repeating: 0, count: 2 * c + 1)
        for channel in 0..<c {
            let mean = Double(means[channel]), inverseStd = Double(inverseStds[channel])
            let variance = max(1 / (inverseStd * inverseStd) - Double(eps), 0)
            sums[channel] = n * mean
            sums[c + channel] = n * (variance + mean * mean)
        }
        sums[2 * c] = n
        try sums.withUnsafeMutableBufferPointer { try group.allReduceSum($0, what: "sync-bn's statistics") }
        let count = sums[2 * c]
        let mean = (0..<c).map { sums[$0] / count }
        let variance = (0..<c).map { max(sums[c + $0] / count - mean[$0] * mean[$0], 0) }
        let device = x.device
        let meanTensor = try Tensor(mean.map { Float($0) }, shape: [c], on: device)
        let output = try batchNormInference(x, gamma: gamma, beta: beta, runningMean: meanTensor,
                                            runningVariance: Tensor(variance.map { Float($0) }, shape: [c], on: device),
                                            eps: eps, residual: residual, relu: relu)
        let m = Double(momentum)
        let (oldMean, oldVariance) = (try runningMean.toArray(), try runningVariance.toArray())
        try copy(Tensor((0..<c).map { Float((1 - m) * Double(oldMean[$0]) + m * mean[$0]) }, shape: [c], on: device),
                 into: runningMean)
        try copy(Tensor((0..<c).map {
            Float((1 - m) * Double(oldVariance[$0]) + m * variance[$0] * count / max(count - 1, 1))
        }, shape: [c], on: device), into: runningVariance)
        let inverseStd = try Tensor(variance.map { Float(1 / ($0 + Double(eps)).squareRoot()) }, shape: [c], on: device)
        return (output, BatchNormStatistics(mean: meanTensor, inverseStd: inverseStd))
    }

    func backward(_ dy: Tensor, input x: Tensor, output: Tensor?, statistics: BatchNormStatistics, gamma: Tensor,
                  eps: Float) throws -> (input: Tensor, gamma: Tensor, beta: Tensor) {
        let local = try batchNormBackward(dy, input: x, output: output, statistics: statistics, gamma: gamma)
        let (dgamma, dbeta) = (try local.gamma.toArray(), try local.beta.toArray())
        let c = dgamma.count, n = Double(x.count / c)
        var sums = dbeta.map(Double.init) + dgamma.map(Double.init) + [n]
        try sums.withUnsafeMutableBufferPointer { try group.allReduceSum($0, what: "sync-bn's gradient sums") }
        let count = sums[2 * c]
        let (gammas, inverseStds) = (try gamma.toArray(), try statistics.inverseStd.toArray())
        var scale = [Float](repeating: 0, count: c), shift = [Float](repeating: 0, count: c)
        for channel in 0..<c {
            let inverseStd = Double(inverseStds[channel]), a = Double(gammas[channel]) * inverseStd
            let gammaChange = sums[c + channel] / count - Double(dgamma[channel]) / n
            let betaChange = sums[channel] / count - Double(dbeta[channel]) / n
            // The inference pass divides its scale by √(1 + eps) (its "running variance" is 1).
            scale[channel] = Float(-a * inverseStd * gammaChange * (1 + Double(eps)).squareRoot())
            shift[channel] = Float(-a * betaChange)
        }
        let device = x.device
        let dx = try batchNormInference(x, gamma: Tensor(scale, shape: [c], on: device),
                                        beta: Tensor(shift, shape: [c], on: device), runningMean: statistics.mean,
                                        runningVariance: .full([c], 1, on: device), eps: eps, residual: local.input)
        return (dx, local.gamma, local.beta)
    }
}
