/// A ResNet encoder with torchvision's layout and parameter names: stem "conv1" + "bn1" (+ ReLU, and for the
/// ImageNet stem a 3×3 stride-2 max-pool), stages "layer1"… of BasicBlocks (the first block of every stage but
/// the first halves the resolution), global average pooling, and an optional classifier "fc".
/// Without `classes` the output is the [N, width of the last stage] feature vector that contrastive heads use.
public final class ResNet: Layer {
    /// The first layers, before the stages.
    public enum Stem: String, Sendable {
        /// 3×3 conv, stride 1, no max-pool: for 32×32 images (CIFAR).
        case cifar
        /// 7×7 conv, stride 2, padding 3, then a 3×3 stride-2 max-pool: for 224×224 images.
        case imagenet
    }

    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let maxpool: MaxPool2d?
    public let stages: [Sequential]
    public let avgpool = GlobalAvgPool()
    public let fc: Linear?
    /// Width of the output: the class count with `fc`, else the last stage's channels.
    public let outputFeatures: Int
    /// The arguments it was built with, for `sameArchitecture`.
    private let architecture: (stem: Stem, widths: [Int], blocks: [Int], inputChannels: Int, classes: Int?)

    /// - Parameters:
    ///   - widths: channels of each stage (ResNet-18: 64, 128, 256, 512).
    ///   - blocks: BasicBlocks per stage (ResNet-18: 2, 2, 2, 2).
    public init(stem: Stem, widths: [Int], blocks: [Int], inputChannels: Int = 3, classes: Int? = nil,
                on device: Device, seed: UInt64 = 0) throws {
        guard !widths.isEmpty, widths.count == blocks.count, blocks.allSatisfy({ $0 >= 1 }) else {
            throw SimileError.invalidArgument(
                "ResNet: widths \(widths) and blocks \(blocks) must be non-empty, of equal length, with ≥ 1 block per stage")
        }
        var generator = SeededGenerator(seed: seed)
        let stemKernel = stem == .cifar ? 3 : 7
        conv1 = try Conv2d(inputChannels, widths[0], kernelSize: stemKernel, stride: stem == .cifar ? 1 : 2,
                           padding: stemKernel / 2, bias: false, initialization: .kaimingNormalFanOut, on: device,
                           generator: &generator)
        bn1 = try BatchNorm2d(widths[0], relu: true, on: device)
        maxpool = stem == .imagenet ? MaxPool2d(kernelSize: 3, stride: 2, padding: 1) : nil
        var stages: [Sequential] = []
        var channels = widths[0]
        for (stage, (width, count)) in zip(widths, blocks).enumerated() {
            var stageBlocks: [any Layer] = []
            for block in 0..<count {
                let stride = stage > 0 && block == 0 ? 2 : 1
                stageBlocks.append(try BasicBlock(channels, width, stride: stride, on: device, generator: &generator))
                channels = width
            }
            stages.append(Sequential(stageBlocks))
        }
        self.stages = stages
        fc = try classes.map { try Linear(channels, $0, on: device, generator: &generator) }
        outputFeatures = classes ?? channels
        architecture = (stem, widths, blocks, inputChannels, classes)
    }

    /// ResNet-18: four stages of two BasicBlocks, widths 64-128-256-512.
    public static func resnet18(stem: Stem, classes: Int? = nil, on device: Device, seed: UInt64 = 0) throws -> ResNet {
        try ResNet(stem: stem, widths: [64, 128, 256, 512], blocks: [2, 2, 2, 2], classes: classes, on: device, seed: seed)
    }

    /// A small ResNet for 32×32 toy data: CIFAR stem, three stages of one BasicBlock, widths 32-64-128.
    public static func small(inputChannels: Int = 3, on device: Device, seed: UInt64 = 0) throws -> ResNet {
        try ResNet(stem: .cifar, widths: [32, 64, 128], blocks: [1, 1, 1], inputChannels: inputChannels, on: device,
                   seed: seed)
    }

    public var children: [(name: String, layer: any Layer)] {
        var list: [(name: String, layer: any Layer)] = [("conv1", conv1), ("bn1", bn1)]
        if let maxpool { list.append(("maxpool", maxpool)) }
        list += stages.enumerated().map { ("layer\($0.offset + 1)", $0.element) }
        list.append(("avgpool", avgpool))
        if let fc { list.append(("fc", fc)) }
        return list
    }

    /// The layers before the global pooling, as one layer whose output is the last stage's feature map
    /// [N, C, H', W'] (AMDIM-style losses compare its locations). It shares this network's layers: its records'
    /// backward passes accumulate into this network's parameters.
    public var trunk: Sequential {
        Sequential(children.filter { $0.layer !== avgpool && $0.layer !== fc }.map(\.layer))
    }

    public func sameArchitecture() throws -> ResNet {
        let (stem, widths, blocks, inputChannels, classes) = architecture
        return try ResNet(stem: stem, widths: widths, blocks: blocks, inputChannels: inputChannels, classes: classes,
                          on: conv1.weight.value.device)
    }

    public func forward(_ x: Tensor, recordingInto record: ForwardRecord?) throws -> Tensor {
        try forwardThroughChildren(x, record)
    }

    public func backward(_ gradient: Tensor, from record: ForwardRecord) throws -> Tensor {
        try backwardThroughChildren(gradient, record)
    }
}
