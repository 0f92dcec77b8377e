import Simile

extension BenchKernel {
    /// One training step's forward and backward of ResNet-18 with the CIFAR stem on a batch of 32×32 RGB images
    /// (`--size` is the batch). Its memory is the peak RSS column. FLOPs count the convolutions and the classifier-free encoder's GEMMs only:
    /// forward 2·MACs, backward twice that (input and weight gradients).
    /// On the CPU twice: with every convolution direct (`resnet18-cifar[direct]`) and with the default choice,
    /// Winograd where it applies (`resnet18-cifar[auto]`).
    func resnetCases(batch: Int, on device: Device) throws -> [BenchCase] {
        let model = try ResNet.resnet18(stem: .cifar, on: device)
        let x = try Tensor.normal([batch, 3, 32, 32], seed: 1, on: device)
        guard device.openCLInfo == nil else { return [try forwardBackwardCase(kernel: rawValue, of: model, on: x)] }
        return try [ConvAlgorithm.direct, .auto].map { algorithm in
            try forwardBackwardCase(kernel: "\(rawValue)[\(algorithm.rawValue)]", of: model, on: x, algorithm: algorithm)
        }
    }

    /// One recorded forward of `x` through `model` and its backward from a fixed upstream gradient, the gradients
    /// zeroed after, with `model`'s convolutions set to `algorithm`; `model` is a ResNet-18 with the CIFAR stem,
    /// whose multiply-adds give the FLOPs.
    func forwardBackwardCase(kernel: String, of model: any ImageEncoder, on x: Tensor,
                             algorithm: ConvAlgorithm = .auto) throws -> BenchCase {
        let batch = x.shape[0]
        let upstream = try Tensor.normal([batch, model.outputFeatures], seed: 2, on: x.device)
        return BenchCase(kernel: kernel, size: "batch=\(batch)", flops: 6 * Double(batch) * Double(cifarResNet18MultiplyAdds),
                         bytes: 0, extraBytes: 0, items: batch) {
            model.setConvAlgorithm(algorithm)
            _ = try model.recordedForward(x).record.backward(upstream)
            model.zeroGradients()
        }
    }
}

/// Multiply-adds of one 32×32 image through ResNet-18's convolutions with the CIFAR stem: every 3×3 conv
/// C→O at side S costs O·C·9·S², each stage after the first halves S, and three 1×1 downsampling convs.
let cifarResNet18MultiplyAdds: Int = {
    var total = 64 * 3 * 9 * 32 * 32
    var (channels, side) = (64, 32)
    for (stage, width) in [64, 128, 256, 512].enumerated() {
        for block in 0..<2 {
            let outSide = stage > 0 && block == 0 ? side / 2 : side
            total += width * channels * 9 * outSide * outSide + width * width * 9 * outSide * outSide
            if channels != width { total += width * channels * outSide * outSide }
            (channels, side) = (width, outSide)
        }
    }
    return total
}()
