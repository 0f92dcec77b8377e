/// max(x, 0). Keeps its output (not its input) for the backward pass: output > 0 exactly where input > 0.
public final class ReLU: Layer {
    public var isTraining = true
    private var savedOutput: Tensor?

    public init() {}

    public func forward(_ x: Tensor) throws -> Tensor {
        let y = try relu(x)
        savedOutput = isTraining ? y : nil
        return y
    }

    public func backward(_ gradient: Tensor) throws -> Tensor {
        defer { savedOutput = nil }
        return try reluBackward(input: requireSaved(savedOutput, "ReLU"), gradient: gradient)
    }
}
