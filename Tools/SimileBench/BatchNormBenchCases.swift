import Simile

extension BenchKernel {
    /// Training-mode batch normalisation of NCHW tensors at the ResNet-18 CIFAR stage shapes, batch N = n:
    /// N×64×32×32, N×128×16×16, N×256×8×8 and N×512×4×4; forward and backward, plain and with the fused ReLU;
    /// and a residual block's epilogue max(0, bn(x) + shortcut) fused (`-residual-relu-train`) against the same
    /// as three passes, batch norm then `add` then `relu` (`-then-add-relu-train`).
    /// Sizes above 256 are skipped (256 is the ResNet CIFAR batch; 1024 would need ~1 GB per stage).
    /// Bytes are the minimum traffic: forward reads x and writes y (2 words per element; 3 with the shortcut,
    /// 7 in three passes); backward reads x and dy, and the forward output when the ReLU is fused, and writes dx
    /// (3 or 4 words).
    func batchNormCases(batch n: Int, on device: Device) throws -> [BenchCase] {
        guard n <= 256 else { return [] }
        let stages = [(64, 32), (128, 16), (256, 8), (512, 4)]
        return try stages.flatMap { channels, side -> [BenchCase] in
            let shape = [n, channels, side, side]
            let elements = Double(shape.reduce(1, *)), word = 4.0
            let x = try Tensor.normal(shape, mean: 0.5, seed: 4, on: device)
            let upstream = try Tensor.normal(shape, seed: 5, on: device)
            let gamma = try Tensor.full([channels], 1, on: device), beta = try Tensor.zeros([channels], on: device)
            let runningMean = try Tensor.zeros([channels], on: device)
            let runningVariance = try Tensor.full([channels], 1, on: device)
            let shortcut = try Tensor.normal(shape, seed: 6, on: device)
            let size = shape.map(String.init).joined(separator: "x")
            func forward(residual: Tensor? = nil, relu: Bool) throws -> (output: Tensor, statistics: BatchNormStatistics) {
                try batchNormTraining(x, gamma: gamma, beta: beta, runningMean: runningMean,
                                      runningVariance: runningVariance, residual: residual, relu: relu)
            }
            let epilogues = [
                BenchCase(kernel: "batchnorm2d-residual-relu-train", size: size, flops: 8 * elements,
                          bytes: 3 * word * elements, extraBytes: 0) {
                    _ = try forward(residual: shortcut, relu: true)
                },
                BenchCase(kernel: "batchnorm2d-then-add-relu-train", size: size, flops: 8 * elements,
                          bytes: 7 * word * elements, extraBytes: 0) {
                    _ = try Simile.relu(Simile.add(forward(relu: false).output, shortcut))
                },
            ]
            return try epilogues + [false, true].flatMap { relu -> [BenchCase] in
                let name = relu ? "batchnorm2d-relu" : "batchnorm2d"
                let saved = try forward(relu: relu)
                return [
                    BenchCase(kernel: "\(name)-train", size: size,
                              flops: 6 * elements, bytes: 2 * word * elements, extraBytes: 0) {
                        _ = try forward(relu: relu)
                    },
                    BenchCase(kernel: "\(name)-backward", size: size,
                              flops: 8 * elements, bytes: (relu ? 4 : 3) * word * elements, extraBytes: 0) {
                        _ = try batchNormBackward(upstream, input: x, output: relu ? saved.output : nil,
                                                  statistics: saved.statistics, gamma: gamma)
                    },
                ]
            }
        }
    }
}
