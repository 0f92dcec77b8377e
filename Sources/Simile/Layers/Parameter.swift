/// A trainable tensor and the gradient the backward pass accumulates into it.
public final class Parameter {
    public var value: Tensor
    /// dLoss/dvalue summed over every backward pass since the last `zeroGradient()`; nil before the first,
    /// and always nil while frozen.
    public private(set) var gradient: Tensor?
    /// A frozen parameter gets no gradient (layers skip computing it where that saves work) and optimisers
    /// leave it as it is. Freezing drops the gradient it had.
    public var isFrozen = false {
        didSet { if isFrozen { gradient = nil } }
    }

    public init(_ value: Tensor) { self.value = value }

    /// Adds `contribution` to the gradient (takes it as the gradient when there is none yet); nothing when frozen.
    func accumulate(_ contribution: @autoclosure () throws -> Tensor) throws {
        guard !isFrozen else { return }
        let contribution = try contribution()
        if let gradient {
            try axpy(1, contribution, gradient)
        } else {
            gradient = contribution
        }
    }

    public func zeroGradient() { gradient = nil }
}
