/// The geometry of a 2-D convolution: NCHW input, OIHW weight, zero padding, no dilation or groups
/// (PyTorch `F.conv2d` with dilation 1 and groups 1).
public struct ConvGeometry: Equatable, Sendable, CustomStringConvertible {
    public let batch, inChannels, height, width: Int
    public let outChannels, kernelHeight, kernelWidth: Int
    public let stride, padding: Int

    public init(batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int, kernelHeight: Int,
                kernelWidth: Int, stride: Int = 1, padding: Int = 0) {
        self.batch = batch
        self.inChannels = inChannels
        self.height = height
        self.width = width
        self.outChannels = outChannels
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.stride = stride
        self.padding = padding
    }

    public var outHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
    public var inputShape: [Int] { [batch, inChannels, height, width] }
    public var weightShape: [Int] { [outChannels, inChannels, kernelHeight, kernelWidth] }
    public var outputShape: [Int] { [batch, outChannels, outHeight, outWidth] }

    /// Rows of the im2col matrix (C·KH·KW), the depth of the convolution as a GEMM.
    var patch: Int { inChannels * kernelHeight * kernelWidth }
    /// Output pixels per image (OH·OW).
    var outSpatial: Int { outHeight * outWidth }
    /// A 1×1, stride-1, unpadded convolution: the input already is the im2col matrix of each image.
    var isPointwise: Bool { kernelHeight == 1 && kernelWidth == 1 && stride == 1 && padding == 0 }

    /// Floating-point operations of one direction (forward, input gradient or weight gradient):
    /// 2·N·O·OH·OW·C·KH·KW.
    public var flops: Double { 2 * Double(batch) * Double(outChannels) * Double(outSpatial) * Double(patch) }

    public var description: String {
        "\(batch)x\(inChannels)x\(height)x\(width) * \(outChannels)x\(inChannels)x\(kernelHeight)x\(kernelWidth)"
            + " s\(stride) p\(padding)"
    }

    /// The geometry of x (shape `input`) convolved with a weight of shape `weight`, or one error naming `op`
    /// and the shapes.
    init(op: String, input: [Int], weight: [Int], stride: Int, padding: Int) throws {
        guard input.count == 4 else {
            throw SimileError.shapeMismatch(op: op, detail: "x must be 4-D (N, C, H, W), got shape \(input)")
        }
        guard weight.count == 4 else {
            throw SimileError.shapeMismatch(op: op, detail: "weight must be 4-D (O, C, KH, KW), got shape \(weight)")
        }
        guard stride >= 1 else { throw SimileError.invalidArgument("\(op): stride must be ≥ 1, got \(stride)") }
        guard padding >= 0 else { throw SimileError.invalidArgument("\(op): padding must be ≥ 0, got \(padding)") }
        guard input.dropFirst().allSatisfy({ $0 >= 1 }), input[0] >= 0, weight.allSatisfy({ $0 >= 1 }) else {
            throw SimileError.shapeMismatch(
                op: op, detail: "x \(input) and weight \(weight) may have no zero dimension but the batch")
        }
        try requireKernelSizes(op, input, name: "x")
        try requireKernelSizes(op, weight, name: "weight")
        try requireKernelSizes(op, [padding], name: "padding")
        guard input[1] == weight[1] else {
            throw SimileError.shapeMismatch(
                op: op, detail: "x \(input) has C=\(input[1]) but weight \(weight) expects \(weight[1])")
        }
        self.init(batch: input[0], inChannels: input[1], height: input[2], width: input[3], outChannels: weight[0],
                  kernelHeight: weight[2], kernelWidth: weight[3], stride: stride, padding: padding)
        guard kernelHeight <= height + 2 * padding, kernelWidth <= width + 2 * padding else {
            throw SimileError.shapeMismatch(
                op: op, detail: "kernel \(kernelHeight)x\(kernelWidth) of weight \(weight) is larger than the padded"
                    + " input \(height + 2 * padding)x\(width + 2 * padding) (x \(input), padding \(padding))")
        }
    }

    /// Checks that dy has the output shape of this convolution.
    func requireOutputGradient(op: String, _ dy: Tensor) throws {
        guard dy.shape == outputShape else {
            throw SimileError.shapeMismatch(
                op: op, detail: "dy \(dy.shape) is not the output shape \(outputShape) of x \(inputShape)"
                    + " convolved with weight \(weightShape) (stride \(stride), padding \(padding))")
        }
    }
}
