/// CPC v2's context network (Hénaff et al. 2020; lightning-bolts' `PixelCNN`): over a grid of patch features
/// [N, C, G, G], `blocks` residual blocks c ← c + f(c), then a ReLU, where
///
///     f = 1×1 conv (C → hidden), ReLU, a column of 0s padded each side, 1×3 conv (hidden → hidden), a row of 1s
///         padded on top, 2×1 conv (hidden → hidden), ReLU, 1×1 conv (hidden → C)
///
/// The 1×3 convolution mixes a row's neighbours, the 2×1 one a position's row with the row above (the padded row
/// stands above the first): so an output position depends on its own row and the rows above it, never on a row
/// below (tested by gradients), and a prediction made from row y may target the rows below it. CPC v2 stacks five
/// blocks of 256 hidden channels. bolts pads the columns in the 2×1 convolution instead (padding (0, 1)), after the
/// 1×3 one has narrowed the map, which leaves the two edge columns of every block's f blind to its input; padding
/// them before the 1×3 convolution keeps every column's own.
public final class ContextNetwork: Layer {
    public let blocks: Sequential
    private let architecture: (channels: Int, hidden: Int, count: Int)

    public init(channels: Int, hidden: Int = 256, blocks count: Int = 5, on device: Device, seed: UInt64 = 0) throws {
        guard channels >= 1, hidden >= 1, count >= 1 else {
            throw SimileError.invalidArgument("ContextNetwork: channels \(channels), hidden \(hidden) and blocks "
                                              + "\(count) must be ≥ 1")
        }
        var generator = SeededGenerator(seed: seed)
        blocks = Sequential(try (0..<count).map { _ in
            Residual(Sequential([
                try Conv2d(channels, hidden, kernelSize: 1, on: device, generator: &generator), ReLU(),
                ConstantPad(MapPadding(columns: (1, 1))),
                try Conv2d(hidden, hidden, kernel: (1, 3), on: device, generator: &generator),
                ConstantPad(MapPadding(rows: (1, 0)), value: 1),
                try Conv2d(hidden, hidden, kernel: (2, 1), on: device, generator: &generator), ReLU(),
                try Conv2d(hidden, channels, kernelSize: 1, on: device, generator: &generator),
            ]))
        })
        architecture = (channels, hidden, count)
    }

    public var children: [(name: String, layer: any Layer)] { [("blocks", blocks), ("relu", relu)] }

    private let relu = ReLU()

    public func sameArchitecture() throws -> ContextNetwork {
        try ContextNetwork(channels: architecture.channels, hidden: architecture.hidden, blocks: architecture.count,
                           on: blocks.namedParameters()[0].parameter.value.device)
    }

    public func forward(_ x: Tensor, recordingInto record: ForwardRecord?) throws -> Tensor {
        try forwardThroughChildren(x, record)
    }

    public func backward(_ gradient: Tensor, from record: ForwardRecord) throws -> Tensor {
        try backwardThroughChildren(gradient, record)
    }
}
