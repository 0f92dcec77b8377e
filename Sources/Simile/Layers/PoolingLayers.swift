/// Max pooling with a square window over NCHW input; keeps the argmax (not the input) for backward.
public final class MaxPool2d: Layer {
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public var isTraining = true
    private var saved: (argmax: Tensor, inputShape: [Int])?

    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
    }

    public func forward(_ x: Tensor) throws -> Tensor {
        let (y, argmax) = try maxPool2d(x, kernelSize: kernelSize, stride: stride, padding: padding)
        saved = isTraining ? (argmax, x.shape) : nil
        return y
    }

    public func backward(_ gradient: Tensor) throws -> Tensor {
        defer { saved = nil }
        let (argmax, inputShape) = try requireSaved(saved, "MaxPool2d")
        return try maxPool2dBackward(gradient, argmax: argmax, inputShape: inputShape)
    }
}

/// The mean over H and W: [N, C, H, W] → [N, C] (torchvision's `avgpool` followed by `flatten`).
public final class GlobalAvgPool: Layer {
    public var isTraining = true
    private var savedShape: [Int]?

    public init() {}

    public func forward(_ x: Tensor) throws -> Tensor {
        savedShape = isTraining ? x.shape : nil
        return try globalAvgPool(x)
    }

    public func backward(_ gradient: Tensor) throws -> Tensor {
        defer { savedShape = nil }
        return try globalAvgPoolBackward(gradient, inputShape: requireSaved(savedShape, "GlobalAvgPool"))
    }
}
