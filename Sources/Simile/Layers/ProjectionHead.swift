/// SimCLR's projection head, as lightly's `SimCLRProjectionHead` builds it: for widths [h1, …, hk, out],
/// Linear(in, h1, no bias) – BatchNorm1d – ReLU for each hidden width, then Linear(hk, out) with a bias.
/// `[512, 128]` on ResNet-18's 512 features is SimCLR's 2-layer head; `[128]` alone is a linear head.
/// Children are named as in torch.nn.Sequential ("0.weight", "1.running_mean", …); the batch norm carries the
/// ReLU fused.
public func projectionHead(inputs: Int, widths: [Int], on device: Device, seed: UInt64) throws -> Sequential {
    guard let output = widths.last, widths.allSatisfy({ $0 >= 1 }), inputs >= 1 else {
        throw SimileError.invalidArgument("projection head: widths \(widths) must be ≥ 1 and not empty")
    }
    var generator = SeededGenerator(seed: seed)
    var layers: [any Layer] = []
    var width = inputs
    for hidden in widths.dropLast() {
        layers.append(try Linear(width, hidden, bias: false, on: device, generator: &generator))
        layers.append(try BatchNorm1d(hidden, relu: true, on: device))
        width = hidden
    }
    layers.append(try Linear(width, output, on: device, generator: &generator))
    return Sequential(layers)
}
