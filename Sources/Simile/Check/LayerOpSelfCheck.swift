extension SelfCheck {
    /// The layer ops (conv2d, batch-norm with a fused residual and ReLU, max-pooling, linear), forward and backward, on odd
    /// shapes against `Reference`.
    static func layerOpReports(on device: Device) throws -> [Report] {
        var reports: [Report] = []
        func check(_ name: String, _ actual: Tensor, _ expected: [Double], tolerance: Double = 1e-5) throws {
            reports.append(Report(name: name, maxRelativeError: Reference.maxRelativeError(try actual.toArray(), expected),
                                  tolerance: tolerance))
        }
        let geometry = ConvGeometry(batch: 3, inChannels: 5, height: 9, width: 7, outChannels: 4, kernelHeight: 3,
                                    kernelWidth: 3, stride: 2, padding: 1)
        let x = try Tensor.normal(geometry.inputShape, seed: 5, on: device)
        let w = try Tensor.normal(geometry.weightShape, seed: 6, on: device)
        let b = try Tensor.normal([4], seed: 7, on: device)
        let dy = try Tensor.normal(geometry.outputShape, seed: 8, on: device)
        let (x64, w64, dy64) = (try x.doubles(), try w.doubles(), try dy.doubles())
        try check("conv2d 3x5x9x7 k3 s2 p1", conv2d(x, weight: w, bias: b, stride: 2, padding: 1),
                  Reference.conv2d(x64, weight: w64, bias: try b.doubles(), geometry))
        try check("conv2d input gradient", conv2dBackwardInput(dy, weight: w, inputShape: x.shape, stride: 2, padding: 1),
                  Reference.conv2dBackwardInput(dy64, weight: w64, geometry))
        try check("conv2d weight gradient", conv2dBackwardWeight(dy, input: x, weightShape: w.shape, stride: 2, padding: 1),
                  Reference.conv2dBackwardWeight(dy64, input: x64, geometry), tolerance: 1e-4)

        let (n, c, s) = (3, 5, 63)
        let gamma = try Tensor.normal([c], seed: 9, on: device), beta = try Tensor.normal([c], seed: 10, on: device)
        let upstream = try Tensor.normal(x.shape, seed: 11, on: device)
        let residual = try Tensor.normal(x.shape, seed: 13, on: device)
        let (y, statistics) = try batchNormTraining(x, gamma: gamma, beta: beta, runningMean: Tensor.zeros([c], on: device),
                                                    runningVariance: Tensor.full([c], 1, on: device), residual: residual,
                                                    relu: true)
        let (gamma64, beta64, residual64) = (try gamma.doubles(), try beta.doubles(), try residual.doubles())
        let zeros = [Double](repeating: 0, count: c)
        try check("batchNorm2d+residual+ReLU train 3x5x9x7", y,
                  Reference.batchNorm(x64, n: n, c: c, s: s, gamma: gamma64, beta: beta64, runningMean: zeros,
                                      runningVariance: zeros, training: true, momentum: 0.1, eps: 1e-5,
                                      residual: residual64, relu: true).y)
        let grads = try batchNormBackward(upstream, input: x, output: y, statistics: statistics, gamma: gamma)
        try check("batchNorm2d+residual+ReLU input gradient", grads.input,
                  Reference.batchNormBackward(x64, try upstream.doubles(), n: n, c: c, s: s, gamma: gamma64, beta: beta64,
                                              eps: 1e-5, residual: residual64, relu: true).dx, tolerance: 1e-4)

        try check("maxPool2d k3 s2 p1", maxPool2d(x, kernelSize: 3, stride: 2, padding: 1).output,
                  Reference.maxPool2d(x64, shape: x.shape, kernelSize: 3, stride: 2, padding: 1).y, tolerance: 0)

        let features = try x.reshaped([3, 315])
        let weight = try Tensor.normal([17, 315], seed: 12, on: device)
        try check("linear 3x315 -> 17", linear(features, weight: weight, bias: nil),
                  Reference.gemm(x64, [3, 315], try weight.doubles(), [17, 315], [], transposeA: false, transposeB: true,
                                 alpha: 1, beta: 0))
        return reports
    }
}
