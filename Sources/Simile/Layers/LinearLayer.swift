/// y = x · Wᵀ + b: x [N, inFeatures] → [N, outFeatures]. Parameters "weight" [out, in] and "bias" [out].
public final class Linear: Layer {
    public let weight: Parameter
    public let bias: Parameter?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias hasBias: Bool = true, on device: Device,
                generator: inout SeededGenerator) throws {
        guard inFeatures >= 1, outFeatures >= 1 else {
            throw SimileError.invalidArgument("Linear(\(inFeatures), \(outFeatures)): feature counts must be ≥ 1")
        }
        weight = Parameter(try WeightInit.kaimingUniform.weight([outFeatures, inFeatures], on: device, &generator),
                           role: .weight)
        bias = hasBias
            ? Parameter(try defaultBias(count: outFeatures, fanIn: inFeatures, on: device, &generator), role: .bias)
            : nil
    }

    public func sameArchitecture() throws -> Linear {
        var generator = SeededGenerator(seed: 0)
        return try Linear(weight.value.shape[1], weight.value.shape[0], bias: bias != nil, on: weight.value.device,
                          generator: &generator)
    }

    public var parameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public func forward(_ x: Tensor, recordingInto record: ForwardRecord?) throws -> Tensor {
        record?.save(x, for: self)
        return try linear(x, weight: weight.value, bias: bias?.value)
    }

    public func backward(_ gradient: Tensor, from record: ForwardRecord) throws -> Tensor {
        let grads = try linearBackward(gradient, input: record.take(for: self, "Linear"), weight: weight.value,
                                       hasBias: bias != nil)
        try weight.accumulate(grads.weight)
        if let bias, let db = grads.bias { try bias.accumulate(db) }
        return grads.input
    }
}
