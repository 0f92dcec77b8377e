/// Batch normalisation with learned scale "weight" (γ, starts at 1) and shift "bias" (β, starts at 0), and the
/// buffers "running_mean" and "running_var" that training updates (momentum 0.1) and eval mode uses, and the
/// counter "num_batches_tracked" of training-mode forward calls (torchvision's int64 buffer).
/// With `relu`, max(0, ·) is applied in the same pass (the training path's fused batch-norm + ReLU). Without
/// `affine` (torch's `affine=False`, SimSiam's last projector layer) γ = 1 and β = 0 stay constant: they are not
/// parameters, get no gradient and are not in the state dict.
/// Use `BatchNorm2d` for [N, C, H, W] and `BatchNorm1d` for [N, C].
public class BatchNorm: Layer {
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Tensor
    public let runningVariance: Tensor
    public let relu: Bool
    public let affine: Bool
    public let momentum: Float
    public let eps: Float
    /// Batch statistics, updating the running ones (true), or the running statistics (false); see `setTraining`.
    public var isTraining = true
    /// Training-mode forward calls so far: PyTorch's `num_batches_tracked`, kept on the host.
    public internal(set) var batchesTracked: Int64 = 0
    private let rank: Int
    /// The process's data-parallel batch norm (`--sync-bn`): when set, every batch norm in training mode normalises
    /// over all ranks' rows (`BatchNormSync`). One run trains per process under MPI, so it is the process's setting.
    nonisolated(unsafe) static var synchronization: BatchNormSync?

    /// What `backward` needs, as a record keeps it: the input, the output when the ReLU is fused (its mask),
    /// and the batch statistics.
    typealias Saved = (input: Tensor, output: Tensor?, statistics: BatchNormStatistics)

    required init(rank: Int, features: Int, relu: Bool, affine: Bool, momentum: Float, eps: Float,
                  on device: Device) throws {
        guard features >= 1 else { throw SimileError.invalidArgument("BatchNorm(\(features)): features must be ≥ 1") }
        self.rank = rank
        self.relu = relu
        self.affine = affine
        self.momentum = momentum
        self.eps = eps
        weight = Parameter(try .full([features], 1, on: device), role: .normScale)
        bias = Parameter(try .zeros([features], on: device), role: .normShift)
        (weight.isFrozen, bias.isFrozen) = (!affine, !affine)
        runningMean = try .zeros([features], on: device)
        runningVariance = try .full([features], 1, on: device)
    }

    public var parameters: [(name: String, parameter: Parameter)] { affine ? [("weight", weight), ("bias", bias)] : [] }
    public var buffers: [(name: String, tensor: Tensor)] { [("running_mean", runningMean), ("running_var", runningVariance)] }

    public func sameArchitecture() throws -> Self {
        try Self(rank: rank, features: weight.value.count, relu: relu, affine: affine, momentum: momentum, eps: eps,
                 on: weight.value.device)
    }

    private var kind: String { rank == 4 ? "BatchNorm2d" : "BatchNorm1d" }

    /// In eval mode nothing can be recorded: the backward pass exists for batch statistics only.
    public func forward(_ x: Tensor, recordingInto record: ForwardRecord?) throws -> Tensor {
        try normalize(x, residual: nil, relu: relu, recordingInto: record)
    }

    public func backward(_ gradient: Tensor, from record: ForwardRecord) throws -> Tensor {
        let (x, y, statistics): Saved = try record.take(for: self, kind)
        return try backward(gradient, input: x, mask: y, statistics: statistics)
    }

    /// A residual block's epilogue in one pass over memory: max(0, bn(x) + shortcut), where the ReLU follows the
    /// addition (so the layer's own `relu` must be off). `residualBackward` takes its backward pass.
    public func residualForward(_ x: Tensor, shortcut: Tensor, recordingInto record: ForwardRecord?) throws -> Tensor {
        guard !relu else {
            throw SimileError.invalidArgument(
                "\(kind).residualForward: the layer fuses its own ReLU before the addition; use one without (relu: false)")
        }
        return try normalize(x, residual: shortcut, relu: true, recordingInto: record)
    }

    /// The gradients of `residualForward`'s x and shortcut: g = dy where the output is > 0, else 0, is the
    /// shortcut's, and batch norm's backward pass takes g to x.
    public func residualBackward(_ gradient: Tensor, from record: ForwardRecord) throws
        -> (input: Tensor, shortcut: Tensor) {
        let (x, y, statistics): Saved = try record.take(for: self, kind)
        guard let y else {
            throw SimileError.invalidArgument("\(kind).residualBackward: the recorded forward was not residualForward")
        }
        let g = try reluBackward(input: y, gradient: gradient)
        return (try backward(g, input: x, mask: nil, statistics: statistics), g)
    }

    /// Normalises x (with the batch statistics when training, recording what backward needs, else with the
    /// running ones), adding `residual` and applying the ReLU in the same pass.
    private func normalize(_ x: Tensor, residual: Tensor?, relu: Bool, recordingInto record: ForwardRecord?) throws
        -> Tensor {
        try requireRank(kind, x, rank, name: "x")
        guard isTraining else {
            guard record == nil else {
                throw SimileError.invalidArgument(
                    "\(kind) in eval mode cannot record a forward for backward (its gradient is defined for batch statistics); switch to training mode with setTraining(true)")
            }
            return try batchNormInference(x, gamma: weight.value, beta: bias.value, runningMean: runningMean,
                                          runningVariance: runningVariance, eps: eps, residual: residual, relu: relu)
        }
        let (y, statistics) = try Self.synchronization.map {
            try $0.training(x, gamma: weight.value, beta: bias.value, runningMean: runningMean,
                            runningVariance: runningVariance, momentum: momentum, eps: eps, residual: residual,
                            relu: relu)
        } ?? batchNormTraining(x, gamma: weight.value, beta: bias.value, runningMean: runningMean,
                               runningVariance: runningVariance, momentum: momentum, eps: eps, residual: residual,
                               relu: relu)
        batchesTracked += 1
        record?.save((x, relu ? y : nil, statistics) as Saved, for: self)
        return y
    }

    /// dx for upstream gradient `gradient` (masked where `mask` ≤ 0 when given); accumulates dγ and dβ.
    private func backward(_ gradient: Tensor, input x: Tensor, mask: Tensor?, statistics: BatchNormStatistics) throws
        -> Tensor {
        let grads = try Self.synchronization.map {
            try $0.backward(gradient, input: x, output: mask, statistics: statistics, gamma: weight.value, eps: eps)
        } ?? batchNormBackward(gradient, input: x, output: mask, statistics: statistics, gamma: weight.value)
        try weight.accumulate(grads.gamma)
        try bias.accumulate(grads.beta)
        return grads.input
    }
}

/// Batch normalisation per channel over (N, H, W) of [N, C, H, W].
public final class BatchNorm2d: BatchNorm {
    public convenience init(_ channels: Int, relu: Bool = false, affine: Bool = true, momentum: Float = 0.1,
                            eps: Float = 1e-5, on device: Device) throws {
        try self.init(rank: 4, features: channels, relu: relu, affine: affine, momentum: momentum, eps: eps, on: device)
    }
}

/// Batch normalisation per feature over N of [N, C].
public final class BatchNorm1d: BatchNorm {
    public convenience init(_ features: Int, relu: Bool = false, affine: Bool = true, momentum: Float = 0.1,
                            eps: Float = 1e-5, on device: Device) throws {
        try self.init(rank: 2, features: features, relu: relu, affine: affine, momentum: momentum, eps: eps, on: device)
    }
}
