/// max(x, 0). Keeps its output (not its input) for the backward pass: output > 0 exactly where input > 0.
public final class ReLU: Layer {
    public init() {}

    public func sameArchitecture() -> ReLU { ReLU() }

    public func forward(_ x: Tensor, recordingInto record: ForwardRecord?) throws -> Tensor {
        let y = try relu(x)
        record?.save(y, for: self)
        return y
    }

    public func backward(_ gradient: Tensor, from record: ForwardRecord) throws -> Tensor {
        try reluBackward(input: record.take(for: self, "ReLU"), gradient: gradient)
    }
}
