/// Batch normalisation with learned scale "weight" (γ, starts at 1) and shift "bias" (β, starts at 0), and the
/// buffers "running_mean" and "running_var" that training updates (momentum 0.1) and eval mode uses, and the
/// counter "num_batches_tracked" of training-mode forward calls (torchvision's int64 buffer).
/// With `relu`, max(0, ·) is applied in the same pass (the training path's fused batch-norm + ReLU).
/// Use `BatchNorm2d` for [N, C, H, W] and `BatchNorm1d` for [N, C].
public class BatchNorm: Layer {
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Tensor
    public let runningVariance: Tensor
    public let relu: Bool
    public let momentum: Float
    public let eps: Float
    /// Batch statistics, updating the running ones (true), or the running statistics (false); see `setTraining`.
    public var isTraining = true
    /// Training-mode forward calls so far: PyTorch's `num_batches_tracked`, kept on the host.
    public internal(set) var batchesTracked: Int64 = 0
    private let rank: Int

    /// What `backward` needs, as a record keeps it: the input, the output when the ReLU is fused (its mask),
    /// and the batch statistics.
    typealias Saved = (input: Tensor, output: Tensor?, statistics: BatchNormStatistics)

    required init(rank: Int, features: Int, relu: Bool, momentum: Float, eps: Float, on device: Device) throws {
        guard features >= 1 else { throw SimileError.invalidArgument("BatchNorm(\(features)): features must be ≥ 1") }
        self.rank = rank
        self.relu = relu
        self.momentum = momentum
        self.eps = eps
        weight = Parameter(try .full([features], 1, on: device))
        bias = Parameter(try .zeros([features], on: device))
        runningMean = try .zeros([features], on: device)
        runningVariance = try .full([features], 1, on: device)
    }

    public var parameters: [(name: String, parameter: Parameter)] { [("weight", weight), ("bias", bias)] }
    public var buffers: [(name: String, tensor: Tensor)] { [("running_mean", runningMean), ("running_var", runningVariance)] }

    public func sameArchitecture() throws -> Self {
        try Self(rank: rank, features: weight.value.count, relu: relu, momentum: momentum, eps: eps,
                 on: weight.value.device)
    }

    private var kind: String { rank == 4 ? "BatchNorm2d" : "BatchNorm1d" }

    /// In eval mode nothing can be recorded: the backward pass exists for batch statistics only.
    public func forward(_ x: Tensor, recordingInto record: ForwardRecord?) throws -> Tensor {
        try requireRank(kind, x, rank, name: "x")
        guard isTraining else {
            guard record == nil else {
                throw SimileError.invalidArgument(
                    "\(kind) in eval mode cannot record a forward for backward (its gradient is defined for batch statistics); switch to training mode with setTraining(true)")
            }
            return try batchNormInference(x, gamma: weight.value, beta: bias.value, runningMean: runningMean,
                                          runningVariance: runningVariance, eps: eps, relu: relu)
        }
        let (y, statistics) = try batchNormTraining(x, gamma: weight.value, beta: bias.value, runningMean: runningMean,
                                                    runningVariance: runningVariance, momentum: momentum, eps: eps,
                                                    relu: relu)
        batchesTracked += 1
        record?.save((x, relu ? y : nil, statistics) as Saved, for: self)
        return y
    }

    public func backward(_ gradient: Tensor, from record: ForwardRecord) throws -> Tensor {
        let (x, y, statistics): Saved = try record.take(for: self, kind)
        let grads = try batchNormBackward(gradient, input: x, output: y, statistics: statistics, gamma: weight.value)
        try weight.accumulate(grads.gamma)
        try bias.accumulate(grads.beta)
        return grads.input
    }
}

/// Batch normalisation per channel over (N, H, W) of [N, C, H, W].
public final class BatchNorm2d: BatchNorm {
    public convenience init(_ channels: Int, relu: Bool = false, momentum: Float = 0.1, eps: Float = 1e-5,
                            on device: Device) throws {
        try self.init(rank: 4, features: channels, relu: relu, momentum: momentum, eps: eps, on: device)
    }
}

/// Batch normalisation per feature over N of [N, C].
public final class BatchNorm1d: BatchNorm {
    public convenience init(_ features: Int, relu: Bool = false, momentum: Float = 0.1, eps: Float = 1e-5,
                            on device: Device) throws {
        try self.init(rank: 2, features: features, relu: relu, momentum: momentum, eps: eps, on: device)
    }
}
