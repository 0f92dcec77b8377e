/// 2-D convolution over NCHW input: [N, inChannels, H, W] → [N, outChannels, OH, OW].
/// Parameters "weight" [out, in, kh, kw] (square, k × k, or rectangular: CPC's 1×3 and 2×1) and, when present,
/// "bias" [out]. The padding is the same on all four sides; a `ConstantPad` before it pads one side only.
public final class Conv2d: Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: Int
    public let padding: Int
    /// How the forward pass and the gradients are computed (`setConvAlgorithm` sets it on a whole model).
    public var algorithm: ConvAlgorithm = .auto

    public convenience init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            bias hasBias: Bool = true, initialization: WeightInit = .kaimingUniform, on device: Device,
                            generator: inout SeededGenerator) throws {
        try self.init(inChannels, outChannels, kernel: (kernelSize, kernelSize), stride: stride, padding: padding,
                      bias: hasBias, initialization: initialization, on: device, generator: &generator)
    }

    /// A convolution with a `kernel.height` × `kernel.width` window.
    public init(_ inChannels: Int, _ outChannels: Int, kernel: (height: Int, width: Int), stride: Int = 1,
                padding: Int = 0, bias hasBias: Bool = true, initialization: WeightInit = .kaimingUniform,
                on device: Device, generator: inout SeededGenerator) throws {
        guard inChannels >= 1, outChannels >= 1, kernel.height >= 1, kernel.width >= 1 else {
            throw SimileError.invalidArgument("Conv2d(\(inChannels), \(outChannels), kernel: \(kernel.height)×"
                                              + "\(kernel.width)): channels and kernel sizes must be ≥ 1")
        }
        self.stride = stride
        self.padding = padding
        weight = Parameter(try initialization.weight([outChannels, inChannels, kernel.height, kernel.width], on: device,
                                                     &generator), role: .weight)
        bias = hasBias
            ? Parameter(try defaultBias(count: outChannels, fanIn: inChannels * kernel.height * kernel.width,
                                        on: device, &generator), role: .bias)
            : nil
    }

    public func sameArchitecture() throws -> Conv2d {
        let shape = weight.value.shape
        var generator = SeededGenerator(seed: 0)
        let copy = try Conv2d(shape[1], shape[0], kernel: (shape[2], shape[3]), stride: stride, padding: padding,
                              bias: bias != nil, on: weight.value.device, generator: &generator)
        copy.algorithm = algorithm
        return copy
    }

    public var parameters: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    public func forward(_ x: Tensor, recordingInto record: ForwardRecord?) throws -> Tensor {
        record?.save(x, for: self)
        return try conv2d(x, weight: weight.value, bias: bias?.value, stride: stride, padding: padding,
                          algorithm: algorithm)
    }

    public func backward(_ gradient: Tensor, from record: ForwardRecord) throws -> Tensor {
        let x: Tensor = try record.take(for: self, "Conv2d")
        try weight.accumulate(try conv2dBackwardWeight(gradient, input: x, weightShape: weight.value.shape,
                                                       stride: stride, padding: padding, algorithm: algorithm))
        if let bias { try bias.accumulate(try conv2dBackwardBias(gradient)) }
        return try conv2dBackwardInput(gradient, weight: weight.value, inputShape: x.shape, stride: stride,
                                       padding: padding, algorithm: algorithm)
    }
}
