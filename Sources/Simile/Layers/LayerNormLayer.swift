/// Layer normalisation of each sample over its whole shape `normalizedShape` (PyTorch's
/// `nn.LayerNorm(normalizedShape)` with elementwise affine): y = (x − μ_n)/√(σ²_n + eps) · γ + β, with the learned
/// scale "weight" (γ, starts at 1) and shift "bias" (β, starts at 0) both shaped `normalizedShape`. For x
/// [N, normalizedShape…]; no running statistics, so training and eval compute the same.
public final class LayerNorm: Layer {
    public let weight: Parameter
    public let bias: Parameter
    public let eps: Float

    public init(_ normalizedShape: [Int], eps: Float = 1e-5, on device: Device) throws {
        guard !normalizedShape.isEmpty, normalizedShape.allSatisfy({ $0 >= 1 }) else {
            throw SimileError.invalidArgument("LayerNorm(\(normalizedShape)): the normalised shape needs sizes ≥ 1")
        }
        guard eps > 0, eps.isFinite else {
            throw SimileError.invalidArgument("LayerNorm: eps must be finite and > 0, got \(eps)")
        }
        self.eps = eps
        weight = Parameter(try .full(normalizedShape, 1, on: device), role: .normScale)
        bias = Parameter(try .zeros(normalizedShape, on: device), role: .normShift)
    }

    public var parameters: [(name: String, parameter: Parameter)] { [("weight", weight), ("bias", bias)] }

    public func sameArchitecture() throws -> LayerNorm {
        try LayerNorm(weight.value.shape, eps: eps, on: weight.value.device)
    }

    public func forward(_ x: Tensor, recordingInto record: ForwardRecord?) throws -> Tensor {
        let (y, statistics) = try layerNorm(x, gamma: weight.value, beta: bias.value, eps: eps)
        record?.save((x, statistics), for: self)
        return y
    }

    public func backward(_ gradient: Tensor, from record: ForwardRecord) throws -> Tensor {
        let (x, statistics): (Tensor, LayerNormStatistics) = try record.take(for: self, "LayerNorm")
        let grads = try layerNormBackward(gradient, input: x, statistics: statistics, gamma: weight.value)
        try weight.accumulate(grads.gamma)
        try bias.accumulate(grads.beta)
        return grads.input
    }
}
