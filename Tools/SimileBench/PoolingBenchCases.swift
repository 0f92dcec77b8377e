import Simile

extension BenchKernel {
    /// The pooling cases, or nil for other kernels. Side n sets the batch: max pooling is the ResNet stem's
    /// 3×3 stride-2 padding-1 window on x [n/4, 64, 56, 56] (n = 256: 64×64×56×56 → 28×28; ImageNet's stem
    /// would be 256×64×112×112), global average pooling is ResNet-18's head on x [n, 512, 4, 4]. Bytes are
    /// the minimum traffic: each input and output read or written once (max backward also zero-fills dx
    /// and updates it in place, which is not counted). Flops: one comparison or addition per window element.
    func poolingCases(n: Int, on device: Device) throws -> [BenchCase]? {
        let word = 4.0
        switch self {
        case .maxPool2d, .maxPool2dBackward:
            let shape = [max(1, n / 4), 64, 56, 56]
            let x = try Tensor.uniform(shape, low: -1, high: 1, seed: 1, on: device)
            let (y, argmax) = try Simile.maxPool2d(x, kernelSize: 3, stride: 2, padding: 1)
            let size = "\(shape.map(String.init).joined(separator: "x")) k3s2p1"
            let (inputs, outputs) = (Double(x.count), Double(y.count))
            if self == .maxPool2d {
                return [BenchCase(kernel: rawValue, size: size, flops: 9 * outputs, bytes: word * (inputs + 2 * outputs),
                                  extraBytes: 0) { _ = try Simile.maxPool2d(x, kernelSize: 3, stride: 2, padding: 1) }]
            }
            return [BenchCase(kernel: rawValue, size: size, flops: outputs, bytes: word * (inputs + 2 * outputs),
                              extraBytes: 0) { _ = try Simile.maxPool2dBackward(y, argmax: argmax, inputShape: shape) }]
        case .globalAvgPool, .globalAvgPoolBackward:
            let shape = [n, 512, 4, 4]
            let x = try Tensor.uniform(shape, low: -1, high: 1, seed: 1, on: device)
            let y = try Simile.globalAvgPool(x)
            let size = shape.map(String.init).joined(separator: "x")
            let bytes = word * Double(x.count + y.count)
            if self == .globalAvgPool {
                return [BenchCase(kernel: rawValue, size: size, flops: Double(x.count), bytes: bytes, extraBytes: 0) {
                    _ = try Simile.globalAvgPool(x)
                }]
            }
            return [BenchCase(kernel: rawValue, size: size, flops: Double(x.count), bytes: bytes, extraBytes: 0) {
                _ = try Simile.globalAvgPoolBackward(y, inputShape: shape)
            }]
        default:
            return nil
        }
    }
}
