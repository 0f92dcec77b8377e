/// How a projection head's layers are made, as lightly's heads make them.
public enum ProjectionHeadStyle: Sendable {
    /// lightly's `SimCLRProjectionHead`, `BYOLProjectionHead` and the prediction heads: Linear(no bias) –
    /// BatchNorm1d – ReLU for each hidden width, then Linear with a bias.
    case batchNorm
    /// MoCo v2's MLP (`MoCoProjectionHead`): Linear with a bias – ReLU for each hidden width, then Linear with a
    /// bias; no batch norm.
    case plain
    /// `SimSiamProjectionHead`: as `batchNorm`, but the last Linear has no bias and is followed by a BatchNorm1d
    /// without affine parameters.
    case normalizedOutput
}

/// A projection (or prediction) head for widths [h1, …, hk, out] on `inputs` features, in `style`.
/// `[512, 128]` on ResNet-18's 512 features is SimCLR's 2-layer head; `[128]` alone is a linear head.
/// Children are named as in torch.nn.Sequential ("0.weight", "1.running_mean", …); a batch norm carries the
/// ReLU after it fused, and a plain head has ReLU layers of its own.
public func projectionHead(inputs: Int, widths: [Int], style: ProjectionHeadStyle = .batchNorm, on device: Device,
                           seed: UInt64) throws -> Sequential {
    guard let output = widths.last, widths.allSatisfy({ $0 >= 1 }), inputs >= 1 else {
        throw SimileError.invalidArgument("projection head: widths \(widths) must be ≥ 1 and not empty")
    }
    var generator = SeededGenerator(seed: seed)
    var layers: [any Layer] = []
    var width = inputs
    for hidden in widths.dropLast() {
        if style == .plain {
            layers.append(try Linear(width, hidden, on: device, generator: &generator))
            layers.append(ReLU())
        } else {
            layers.append(try Linear(width, hidden, bias: false, on: device, generator: &generator))
            layers.append(try BatchNorm1d(hidden, relu: true, on: device))
        }
        width = hidden
    }
    let normalized = style == .normalizedOutput
    layers.append(try Linear(width, output, bias: !normalized, on: device, generator: &generator))
    if normalized { layers.append(try BatchNorm1d(output, affine: false, on: device)) }
    return Sequential(layers)
}
