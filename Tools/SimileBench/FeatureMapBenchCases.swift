import Simile

extension BenchKernel {
    /// Layer normalisation of n patches' [64, 8, 8] maps (CPC v2's encoder normalises each patch so), forward and
    /// backward, after `copy-into` of the same tensor, so that the report gives their GB/s next to the copy bandwidth
    /// of the same run. Bytes are the minimum traffic: forward reads x and writes y (2 words per element), backward
    /// reads x and dy and writes dx (3); γ and β are one sample's size, left out.
    func layerNormCases(n: Int, on device: Device) throws -> [BenchCase] {
        let shape = [n, 64, 8, 8], sample = [64, 8, 8]
        let x = try Tensor.normal(shape, mean: 0.5, seed: 4, on: device)
        let upstream = try Tensor.normal(shape, seed: 5, on: device), copied = try Tensor.zeros(shape, on: device)
        let gamma = try Tensor.full(sample, 1, on: device), beta = try Tensor.zeros(sample, on: device)
        let saved = try Simile.layerNorm(x, gamma: gamma, beta: beta)
        let elements = Double(x.count), word = 4.0, size = shape.map(String.init).joined(separator: "x")
        return [
            BenchCase(kernel: "copy-into", size: size, flops: 0, bytes: 2 * word * elements, extraBytes: 0) {
                try Simile.copy(x, into: copied)
            },
            BenchCase(kernel: "layernorm", size: size, flops: 7 * elements, bytes: 2 * word * elements, extraBytes: 0) {
                _ = try Simile.layerNorm(x, gamma: gamma, beta: beta)
            },
            BenchCase(kernel: "layernorm-backward", size: size, flops: 12 * elements, bytes: 3 * word * elements,
                      extraBytes: 0) {
                _ = try layerNormBackward(upstream, input: x, statistics: saved.statistics, gamma: gamma)
            },
        ]
    }

    /// AMDIM's feature-map loss for B = n sources of d = 128 against n maps of 7×7, forward and backward: three
    /// GEMMs of 2·B·B·L·d FLOPs each (the scores, then their gradient into the sources and into the maps), to read
    /// against the same run's sgemm rate; the [B, B·L] scores and their clipped copy are its extra memory.
    func featureMapLossCases(n: Int, on device: Device) throws -> [BenchCase] {
        let (d, l) = (128, 49)
        let sources = try Tensor.normal([n, d], seed: 6, on: device)
        let targets = try Tensor.normal([n, d, 7, 7], seed: 7, on: device)
        let scores = Double(n * n * l)
        return [BenchCase(kernel: rawValue, size: "B\(n) d\(d) 7x7", flops: 3 * 2 * scores * Double(d),
                          bytes: 4 * Double(2 * n * d + 2 * n * d * l), extraBytes: 2 * Int(scores) * 4) {
            _ = try featureMapContrastiveLoss(sources: sources, targets: targets).loss
        }]
    }
}
