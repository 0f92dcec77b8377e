/// Per-channel batch statistics saved by the training forward pass for the backward pass.
public struct BatchNormStatistics {
    /// The batch mean of each channel, [C].
    public let mean: Tensor
    /// 1 / √(biased batch variance + eps) of each channel, [C].
    public let inverseStd: Tensor

    public init(mean: Tensor, inverseStd: Tensor) {
        self.mean = mean
        self.inverseStd = inverseStd
    }
}

/// Training mode. x is [N, C, H, W] (2-D: statistics per channel over N, H, W) or [N, C] (1-D: per feature over N).
/// Normalises with the biased batch variance; updates runningMean/runningVariance in place PyTorch-style:
/// running = (1 − momentum)·running + momentum·batch, with the UNBIASED variance (count/(count−1)) for runningVariance.
/// In the same pass as the normalisation, `residual` (x's shape) is added to the output, and then relu: true
/// applies max(0, ·): a residual block's epilogue max(0, bn(x) + shortcut) is one pass over memory.
public func batchNormTraining(_ x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVariance: Tensor,
                              momentum: Float = 0.1, eps: Float = 1e-5, residual: Tensor? = nil,
                              relu: Bool = false) throws -> (output: Tensor, statistics: BatchNormStatistics) {
    try batchNormTraining(x, gamma: gamma, beta: beta, runningMean: runningMean, runningVariance: runningVariance,
                          momentum: momentum, eps: eps, residual: residual, relu: relu, kernel: nil)
}

/// Eval mode: normalises with the running statistics (then adds `residual` and applies the ReLU, as in training).
public func batchNormInference(_ x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVariance: Tensor,
                               eps: Float = 1e-5, residual: Tensor? = nil, relu: Bool = false) throws -> Tensor {
    try batchNormInference(x, gamma: gamma, beta: beta, runningMean: runningMean, runningVariance: runningVariance,
                           eps: eps, residual: residual, relu: relu, kernel: nil)
}

/// Backward of batchNormTraining: given dy, the forward input x, the saved statistics and gamma, returns
/// dx, dgamma [C], dbeta [C]. Pass the forward `output` when relu was fused (dy is masked where output ≤ 0), else nil.
/// A forward residual changes nothing here but the mask: its gradient is the masked dy (see `reluBackward`).
public func batchNormBackward(_ dy: Tensor, input x: Tensor, output: Tensor?, statistics: BatchNormStatistics,
                              gamma: Tensor) throws -> (input: Tensor, gamma: Tensor, beta: Tensor) {
    try batchNormBackward(dy, input: x, output: output, statistics: statistics, gamma: gamma, kernel: nil)
}

/// `batchNormTraining` with the OpenCL work split forced (nil: the device type picks it).
func batchNormTraining(_ x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVariance: Tensor,
                       momentum: Float, eps: Float, residual: Tensor? = nil, relu: Bool, kernel: BatchNormKernel?)
    throws -> (output: Tensor, statistics: BatchNormStatistics) {
    let op = "batchNormTraining"
    let layout = try BatchNormLayout(op, x, ["gamma": gamma, "beta": beta, "runningMean": runningMean,
                                             "runningVariance": runningVariance])
    try requireEps(op, eps)
    try requireResidual(op, residual, x)
    guard momentum >= 0, momentum <= 1 else {
        throw SimileError.invalidArgument("\(op): momentum must be in [0, 1], got \(momentum)")
    }
    guard layout.perChannel > 1 else {
        throw SimileError.invalidArgument(
            "\(op): expected more than 1 value per channel when training, got x \(x.shape)")
    }
    let output = try Tensor(uninitialized: x.shape, on: x.device)
    let statistics = BatchNormStatistics(mean: try Tensor(uninitialized: [layout.c], on: x.device),
                                         inverseStd: try Tensor(uninitialized: [layout.c], on: x.device))
    switch x.device.backend {
    case .cpu(let cpu):
        cpu.batchNormTraining(x, gamma: gamma, beta: beta, runningMean: runningMean, runningVariance: runningVariance,
                              layout: layout, momentum: momentum, eps: eps, residual: residual, relu: relu,
                              output: output, statistics: statistics)
    case .opencl(let cl):
        try cl.batchNormTraining(x, gamma: gamma, beta: beta, runningMean: runningMean,
                                 runningVariance: runningVariance, layout: layout, momentum: momentum, eps: eps,
                                 residual: residual, relu: relu, output: output, statistics: statistics,
                                 kernel: kernel)
    }
    return (output, statistics)
}

/// `batchNormInference` with the OpenCL work split forced (nil: the device type picks it).
func batchNormInference(_ x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVariance: Tensor,
                        eps: Float, residual: Tensor? = nil, relu: Bool, kernel: BatchNormKernel?) throws -> Tensor {
    let op = "batchNormInference"
    let layout = try BatchNormLayout(op, x, ["gamma": gamma, "beta": beta, "runningMean": runningMean,
                                             "runningVariance": runningVariance])
    try requireEps(op, eps)
    try requireResidual(op, residual, x)
    let output = try Tensor(uninitialized: x.shape, on: x.device)
    switch x.device.backend {
    case .cpu(let cpu):
        cpu.batchNormInference(x, gamma: gamma, beta: beta, runningMean: runningMean, runningVariance: runningVariance,
                               layout: layout, eps: eps, residual: residual, relu: relu, output: output)
    case .opencl(let cl):
        try cl.batchNormInference(x, gamma: gamma, beta: beta, runningMean: runningMean,
                                  runningVariance: runningVariance, layout: layout, eps: eps, residual: residual,
                                  relu: relu, output: output, kernel: kernel)
    }
    return output
}

/// `batchNormBackward` with the OpenCL work split forced (nil: the device type picks it).
func batchNormBackward(_ dy: Tensor, input x: Tensor, output: Tensor?, statistics: BatchNormStatistics,
                       gamma: Tensor, kernel: BatchNormKernel?) throws -> (input: Tensor, gamma: Tensor, beta: Tensor) {
    let op = "batchNormBackward"
    let layout = try BatchNormLayout(op, x, ["gamma": gamma, "statistics.mean": statistics.mean,
                                             "statistics.inverseStd": statistics.inverseStd])
    try requireSameShape(op, dy, x)
    if let output { try requireSameShape(op, output, x) }
    let dx = try Tensor(uninitialized: x.shape, on: x.device)
    let dgamma = try Tensor(uninitialized: [layout.c], on: x.device)
    let dbeta = try Tensor(uninitialized: [layout.c], on: x.device)
    switch x.device.backend {
    case .cpu(let cpu):
        cpu.batchNormBackward(dy, input: x, output: output, statistics: statistics, gamma: gamma, layout: layout,
                              dx: dx, dgamma: dgamma, dbeta: dbeta)
    case .opencl(let cl):
        try cl.batchNormBackward(dy, input: x, output: output, statistics: statistics, gamma: gamma, layout: layout,
                                 dx: dx, dgamma: dgamma, dbeta: dbeta, kernel: kernel)
    }
    return (dx, dgamma, dbeta)
}

/// x viewed as [N, C, S]: S = H·W for [N, C, H, W] (each (n, c) plane of S values is contiguous), S = 1 for [N, C].
struct BatchNormLayout {
    let n: Int
    let c: Int
    let s: Int

    /// Values per channel, N·S.
    var perChannel: Int { n * s }

    /// Checks x's rank and that every per-channel operand is [C] and on x's device.
    init(_ op: String, _ x: Tensor, _ perChannelOperands: KeyValuePairs<String, Tensor>) throws {
        guard x.shape.count == 2 || x.shape.count == 4 else {
            throw SimileError.shapeMismatch(op: op, detail: "x must be [N, C] or [N, C, H, W], got shape \(x.shape)")
        }
        n = x.shape[0]
        c = x.shape[1]
        s = x.shape.dropFirst(2).reduce(1, *)
        for (name, operand) in perChannelOperands {
            guard operand.shape == [c] else {
                throw SimileError.shapeMismatch(op: op, detail: "\(name) \(operand.shape) must be [C] = [\(c)] for x \(x.shape)")
            }
            try requireSameDevice(op, x, operand)
        }
    }
}

/// A residual must be x's shape, on x's device.
private func requireResidual(_ op: String, _ residual: Tensor?, _ x: Tensor) throws {
    guard let residual else { return }
    guard residual.shape == x.shape else {
        throw SimileError.shapeMismatch(op: op, detail: "residual \(residual.shape) must be x's shape \(x.shape)")
    }
    try requireSameDevice(op, x, residual)
}

private func requireEps(_ op: String, _ eps: Float) throws {
    guard eps > 0 else { throw SimileError.invalidArgument("\(op): eps must be > 0, got \(eps)") }
}
