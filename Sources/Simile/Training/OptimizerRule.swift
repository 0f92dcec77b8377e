/// The update rule an `Optimizer` applies to each parameter p with gradient g, at learning rate lr
/// and weight decay wd (both per parameter group).
///
/// - `sgd`: torch.optim.SGD. d = g + wd·p; with μ > 0, buf = μ·buf + d (buf = d at the first step)
///   and d = d + μ·buf (Nesterov) or d = buf; then p ← p − lr·d.
/// - `lars`: LARS as SimCLR and lightly define it. d = g + wd·p, scaled by the local lr
///   η·‖p‖ / (‖g‖ + wd·‖p‖ + eps) when both norms are > 0 (else 1), then momentum and the step as
///   `sgd`. Parameters of a group with `excludedFromAdaptation` skip the scaling (1), so with the
///   group's wd = 0 they take plain momentum SGD.
/// - `adamw`: torch.optim.AdamW. p ← p − lr·wd·p; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
///   p ← p − lr · (m / (1−β1^t)) / (√(v / (1−β2^t)) + eps), t the parameter's step count.
public enum OptimizerRule: Equatable, Sendable {
    case sgd(momentum: Float = 0, nesterov: Bool = false)
    case lars(momentum: Float = 0.9, nesterov: Bool = false, trustCoefficient: Float = 0.001, eps: Float = 1e-8)
    case adamw(beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8)

    /// Throws `invalidArgument` for hyper-parameters no run could mean: momentum or β outside [0, 1),
    /// Nesterov without momentum, a trust coefficient or eps that is not positive and finite.
    func validate() throws {
        switch self {
        case let .sgd(momentum, nesterov):
            try Self.requireMomentum(momentum, nesterov: nesterov)
        case let .lars(momentum, nesterov, trust, eps):
            try Self.requireMomentum(momentum, nesterov: nesterov)
            try Self.requirePositive("LARS trust coefficient", trust)
            try Self.requirePositive("LARS eps", eps)
        case let .adamw(beta1, beta2, eps):
            try Self.requireUnitInterval("AdamW beta1", beta1)
            try Self.requireUnitInterval("AdamW beta2", beta2)
            try Self.requirePositive("AdamW eps", eps)
        }
    }

    /// The state tensors each parameter needs besides its value and gradient, by torch's names for them.
    var stateKeys: [String] {
        switch self {
        case let .sgd(momentum, _), let .lars(momentum, _, _, _): return momentum > 0 ? ["momentum_buffer"] : []
        case .adamw: return ["exp_avg", "exp_avg_sq"]
        }
    }

    private static func requireMomentum(_ momentum: Float, nesterov: Bool) throws {
        try requireUnitInterval("momentum", momentum)
        guard !nesterov || momentum > 0 else {
            throw SimileError.invalidArgument("Nesterov momentum needs a momentum > 0, got \(momentum)")
        }
    }

    private static func requireUnitInterval(_ name: String, _ value: Float) throws {
        guard value >= 0, value < 1 else { throw SimileError.invalidArgument("\(name) must be in [0, 1), got \(value)") }
    }

    private static func requirePositive(_ name: String, _ value: Float) throws {
        guard value > 0, value.isFinite else { throw SimileError.invalidArgument("\(name) must be > 0 and finite, got \(value)") }
    }
}

/// Throws `invalidArgument` unless `value` is ≥ 0 and finite (learning rates, weight decay).
func requireNonNegative(_ name: String, _ value: Float) throws {
    guard value >= 0, value.isFinite else { throw SimileError.invalidArgument("\(name) must be ≥ 0 and finite, got \(value)") }
}
