import Simile

extension BenchKernel {
    /// Every distinct convolution of ResNet-18 for CIFAR (32×32 inputs): (C, O, kernel, stride, padding, H = W).
    static let resNet18CIFARConvs: [(Int, Int, Int, Int, Int, Int)] = [
        (3, 64, 3, 1, 1, 32), (64, 64, 3, 1, 1, 32), (64, 128, 3, 2, 1, 32), (128, 128, 3, 1, 1, 16),
        (64, 128, 1, 2, 0, 32), (128, 256, 3, 2, 1, 16), (256, 256, 3, 1, 1, 8), (128, 256, 1, 2, 0, 16),
        (256, 512, 3, 2, 1, 8), (512, 512, 3, 1, 1, 4), (256, 512, 1, 2, 0, 8),
    ]

    /// The convolution direction this kernel measures, or nil.
    var convDirection: ConvDirection? {
        switch self {
        case .conv2d: return .forward
        case .conv2dBackwardInput: return .backwardInput
        case .conv2dBackwardWeight: return .backwardWeight
        default: return nil
        }
    }

    /// One direction of every ResNet-18-CIFAR convolution at batch `batch` (`--size` is the batch: use 256).
    /// Each direction does 2·N·O·OH·OW·C·KH·KW flops (Winograd's GFLOP/s are effective ones, counted the same way)
    /// and moves its two operands and its result once; the extra bytes are the direction's scratch
    /// (`conv2dScratchBytes`). Where the CPU can run a direction as Winograd, both algorithms are measured
    /// (`conv2d[direct]`, `conv2d[winograd]`).
    func convCases(_ direction: ConvDirection, batch: Int, on device: Device) throws -> [BenchCase] {
        try Self.resNet18CIFARConvs.flatMap { c, o, k, s, p, side in
            let g = ConvGeometry(batch: batch, inChannels: c, height: side, width: side, outChannels: o,
                                 kernelHeight: k, kernelWidth: k, stride: s, padding: p)
            let both = (try? ConvAlgorithm.winograd.usesWinograd(g, on: device, op: "bench")) == true
            return try (both ? [ConvAlgorithm.direct, .winograd] : [.direct]).map { algorithm in
                try convCase(direction, g, algorithm: algorithm, named: both ? "\(rawValue)[\(algorithm.rawValue)]" : rawValue,
                             on: device)
            }
        }
    }

    private func convCase(_ direction: ConvDirection, _ g: ConvGeometry, algorithm: ConvAlgorithm, named name: String,
                          on device: Device) throws -> BenchCase {
        let (c, o, k, s, p, side, batch) = (g.inChannels, g.outChannels, g.kernelHeight, g.stride, g.padding, g.height,
                                            g.batch)
        let x = try Tensor.uniform(g.inputShape, low: -1, high: 1, seed: 1, on: device)
        let weight = try Tensor.uniform(g.weightShape, low: -1, high: 1, seed: 2, on: device)
        let bias = try Tensor.uniform([o], low: -1, high: 1, seed: 3, on: device)
        let dy = try Tensor.uniform(g.outputShape, low: -1, high: 1, seed: 4, on: device)
        let (inputCount, weightCount) = (g.inputShape.reduce(1, *), g.weightShape.reduce(1, *))
        let outputCount = g.outputShape.reduce(1, *)
        let words: Int
        let run: () throws -> Void
        switch direction {
        case .forward:
            words = inputCount + weightCount + outputCount
            run = { _ = try Simile.conv2d(x, weight: weight, bias: bias, stride: s, padding: p, algorithm: algorithm) }
        case .backwardInput:
            words = outputCount + weightCount + inputCount
            run = {
                _ = try Simile.conv2dBackwardInput(dy, weight: weight, inputShape: g.inputShape, stride: s, padding: p,
                                                   algorithm: algorithm)
            }
        case .backwardWeight:
            words = outputCount + inputCount + weightCount
            run = {
                _ = try Simile.conv2dBackwardWeight(dy, input: x, weightShape: g.weightShape, stride: s, padding: p,
                                                    algorithm: algorithm)
            }
        }
        return BenchCase(kernel: name, size: "\(batch):\(c)>\(o) \(k)x\(k)/\(s) @\(side)", flops: g.flops,
                         bytes: 4 * Double(words),
                         extraBytes: conv2dScratchBytes(g, direction, on: device, algorithm: algorithm), run: run)
    }
}
