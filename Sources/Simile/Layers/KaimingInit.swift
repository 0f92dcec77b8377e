import Foundation

/// How a layer's weights start.
public enum WeightInit: Sendable {
    /// PyTorch's default for Linear and Conv2d: kaiming_uniform_(a = √5), i.e. U(−1/√fan_in, 1/√fan_in).
    case kaimingUniform
    /// torchvision's ResNet convolutions: kaiming_normal_(mode = "fan_out", nonlinearity = "relu"),
    /// i.e. N(0, 2/fan_out).
    case kaimingNormalFanOut

    /// A weight of `shape` ([out, in, …]) drawn with this scheme from `generator`.
    func weight(_ shape: [Int], on device: Device, _ generator: inout SeededGenerator) throws -> Tensor {
        let receptive = shape.dropFirst(2).reduce(1, *)
        switch self {
        case .kaimingUniform:
            let bound = 1 / Float(shape[1] * receptive).squareRoot()
            return try .uniform(shape, low: -bound, high: bound, seed: generator.next(), on: device)
        case .kaimingNormalFanOut:
            let deviation = (2 / Float(shape[0] * receptive)).squareRoot()
            return try .normal(shape, standardDeviation: deviation, seed: generator.next(), on: device)
        }
    }
}

/// PyTorch's default bias for Linear and Conv2d: U(−1/√fan_in, 1/√fan_in).
func defaultBias(count: Int, fanIn: Int, on device: Device, _ generator: inout SeededGenerator) throws -> Tensor {
    let bound = 1 / Float(fanIn).squareRoot()
    return try .uniform([count], low: -bound, high: bound, seed: generator.next(), on: device)
}
