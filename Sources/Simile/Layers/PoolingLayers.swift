/// Max pooling with a square window over NCHW input; keeps the argmax (not the input) for backward.
public final class MaxPool2d: Layer {
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int

    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
    }

    public func sameArchitecture() -> MaxPool2d { MaxPool2d(kernelSize: kernelSize, stride: stride, padding: padding) }

    public func forward(_ x: Tensor, recordingInto record: ForwardRecord?) throws -> Tensor {
        let (y, argmax) = try maxPool2d(x, kernelSize: kernelSize, stride: stride, padding: padding)
        record?.save((argmax, x.shape), for: self)
        return y
    }

    public func backward(_ gradient: Tensor, from record: ForwardRecord) throws -> Tensor {
        let (argmax, inputShape): (Tensor, [Int]) = try record.take(for: self, "MaxPool2d")
        return try maxPool2dBackward(gradient, argmax: argmax, inputShape: inputShape)
    }
}

/// The mean over H and W: [N, C, H, W] → [N, C] (torchvision's `avgpool` followed by `flatten`).
public final class GlobalAvgPool: Layer {
    public init() {}

    public func sameArchitecture() -> GlobalAvgPool { GlobalAvgPool() }

    public func forward(_ x: Tensor, recordingInto record: ForwardRecord?) throws -> Tensor {
        record?.save(x.shape, for: self)
        return try globalAvgPool(x)
    }

    public func backward(_ gradient: Tensor, from record: ForwardRecord) throws -> Tensor {
        try globalAvgPoolBackward(gradient, inputShape: record.take(for: self, "GlobalAvgPool"))
    }
}

/// Average pooling with a square window over NCHW input (PyTorch's `nn.AvgPool2d`, padding counted in the mean):
/// AMDIM's shortcuts pool with it where their block strides.
public final class AvgPool2d: Layer {
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int

    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
    }

    public func sameArchitecture() -> AvgPool2d { AvgPool2d(kernelSize: kernelSize, stride: stride, padding: padding) }

    public func forward(_ x: Tensor, recordingInto record: ForwardRecord?) throws -> Tensor {
        record?.save(x.shape, for: self)
        return try avgPool2d(x, kernelSize: kernelSize, stride: stride, padding: padding)
    }

    public func backward(_ gradient: Tensor, from record: ForwardRecord) throws -> Tensor {
        try avgPool2dBackward(gradient, inputShape: record.take(for: self, "AvgPool2d"), kernelSize: kernelSize,
                              stride: stride, padding: padding)
    }
}
