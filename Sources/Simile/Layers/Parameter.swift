/// A trainable tensor and the gradient the backward pass accumulates into it.
public final class Parameter {
    public var value: Tensor
    /// dLoss/dvalue summed over every backward pass since the last `zeroGradient()`; nil before the first.
    public private(set) var gradient: Tensor?

    public init(_ value: Tensor) { self.value = value }

    /// Adds `contribution` to the gradient (takes it as the gradient when there is none yet).
    func accumulate(_ contribution: Tensor) throws {
        if let gradient {
            try axpy(1, contribution, gradient)
        } else {
            gradient = contribution
        }
    }

    public func zeroGradient() { gradient = nil }
}
