import Simile

extension BenchKernel {
    /// The negative-cosine loss (forward + backward in one call, the symmetrised pairing the trainer uses) on
    /// predictions and targets of N = n rows of d = 2048 features, preceded by `copy`, a same-device copy of the
    /// predictions, so that the report gives the loss's GB/s next to the device's copy bandwidth from the same run.
    /// Bytes are the minimum traffic: p and z read once, dp written (3 words per element; the mean of the N loss terms
    /// is not counted). FLOPs: 10 per element (three dot products, 6; the gradient, 4).
    func negativeCosineCases(n: Int, on device: Device) throws -> [BenchCase] {
        let d = 2048, elements = Double(n * d), word = 4.0, size = "N=\(n),d=\(d)"
        let p = try Tensor.normal([n, d], seed: 7, on: device), z = try Tensor.normal([n, d], seed: 8, on: device)
        let copy = BenchCase(kernel: "copy", size: size, flops: 0, bytes: 2 * word * elements, extraBytes: 0) {
            _ = try p.to(device)
        }
        return [copy, BenchCase(kernel: rawValue, size: size, flops: 10 * elements, bytes: 3 * word * elements,
                                extraBytes: negativeCosineLossExtraBytes(rows: n)) {
            _ = try negativeCosineLoss(predictions: p, targets: z, swapHalves: n % 2 == 0).value()
        }]
    }
}
