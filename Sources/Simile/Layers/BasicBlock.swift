/// torchvision's ResNet BasicBlock: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), where both convolutions
/// are 3×3 without bias, conv1 carries the stride, and the shortcut is the identity or, when the stride or width
/// changes, "downsample" = 1×1 conv (stride s, no bias) + batch-norm. bn1 fuses its ReLU; bn2 fuses the addition
/// of the shortcut and the final ReLU (`BatchNorm.residualForward`), so the block's epilogue is one pass.
public final class BasicBlock: Layer {
    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let conv2: Conv2d
    public let bn2: BatchNorm2d
    public let downsample: Sequential?

    public init(_ inChannels: Int, _ outChannels: Int, stride: Int = 1, on device: Device,
                generator: inout SeededGenerator) throws {
        conv1 = try Conv2d(inChannels, outChannels, kernelSize: 3, stride: stride, padding: 1, bias: false,
                           initialization: .kaimingNormalFanOut, on: device, generator: &generator)
        bn1 = try BatchNorm2d(outChannels, relu: true, on: device)
        conv2 = try Conv2d(outChannels, outChannels, kernelSize: 3, padding: 1, bias: false,
                           initialization: .kaimingNormalFanOut, on: device, generator: &generator)
        bn2 = try BatchNorm2d(outChannels, on: device)
        downsample = stride == 1 && inChannels == outChannels ? nil : Sequential([
            try Conv2d(inChannels, outChannels, kernelSize: 1, stride: stride, bias: false,
                       initialization: .kaimingNormalFanOut, on: device, generator: &generator),
            try BatchNorm2d(outChannels, on: device),
        ])
    }

    public func sameArchitecture() throws -> BasicBlock {
        let shape = conv1.weight.value.shape
        var generator = SeededGenerator(seed: 0)
        return try BasicBlock(shape[1], shape[0], stride: conv1.stride, on: conv1.weight.value.device,
                              generator: &generator)
    }

    public var children: [(name: String, layer: any Layer)] {
        [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2)] + (downsample.map { [("downsample", $0)] } ?? [])
    }

    public func forward(_ x: Tensor, recordingInto record: ForwardRecord?) throws -> Tensor {
        var h = try inChild("conv1") { try conv1.forward(x, recordingInto: record) }
        h = try inChild("bn1") { try bn1.forward(h, recordingInto: record) }
        h = try inChild("conv2") { try conv2.forward(h, recordingInto: record) }
        let shortcut = try downsample.map { block in
            try inChild("downsample") { try block.forward(x, recordingInto: record) }
        } ?? x
        return try inChild("bn2") { try bn2.residualForward(h, shortcut: shortcut, recordingInto: record) }
    }

    public func backward(_ gradient: Tensor, from record: ForwardRecord) throws -> Tensor {
        let (dBN2, g) = try inChild("bn2") { try bn2.residualBackward(gradient, from: record) }
        var dh = try inChild("conv2") { try conv2.backward(dBN2, from: record) }
        dh = try inChild("bn1") { try bn1.backward(dh, from: record) }
        dh = try inChild("conv1") { try conv1.backward(dh, from: record) }
        let dShortcut = try downsample.map { block in
            try inChild("downsample") { try block.backward(g, from: record) }
        } ?? g
        return try add(dh, dShortcut)
    }
}
