/// What a parameter does in the layer that creates it. Optimiser groups select parameters by role (LARS leaves
/// biases and normalisation out of adaptation and weight decay), so that the choice does not depend on how a
/// model names its layers; names are for checkpoints.
public enum ParameterRole: Sendable, Hashable, CaseIterable {
    /// A convolution's kernel or a linear layer's matrix.
    case weight
    /// The bias added by a convolution or a linear layer.
    case bias
    /// A normalisation layer's scale γ.
    case normScale
    /// A normalisation layer's shift β.
    case normShift
}

/// A trainable tensor and the gradient the backward pass accumulates into it.
public final class Parameter {
    public var value: Tensor
    /// Given where the layer creates the parameter, and required there, so that no layer can leave it out.
    public let role: ParameterRole
    /// dLoss/dvalue summed over every backward pass since the last `zeroGradient()`; nil before the first,
    /// and always nil while frozen.
    public private(set) var gradient: Tensor?
    /// A frozen parameter gets no gradient (layers skip computing it where that saves work) and optimisers
    /// leave it as it is. Freezing drops the gradient it had.
    public var isFrozen = false {
        didSet { if isFrozen { gradient = nil } }
    }

    /// Told after each contribution is added (`GradientReducer` counts them to know when a gradient is complete).
    var accumulated: ((Parameter) -> Void)?

    public init(_ value: Tensor, role: ParameterRole) {
        self.value = value
        self.role = role
    }

    /// Adds `contribution` to the gradient (takes it as the gradient when there is none yet); nothing when frozen.
    func accumulate(_ contribution: @autoclosure () throws -> Tensor) throws {
        guard !isFrozen else { return }
        let contribution = try contribution()
        if let gradient {
            try axpy(1, contribution, gradient)
        } else {
            gradient = contribution
        }
        accumulated?(self)
    }

    public func zeroGradient() { gradient = nil }
}
