/// The per-sample statistics the layer-norm forward pass saves for its backward pass: the mean of each row and
/// 1 / √(biased variance + eps), both [N].
public struct LayerNormStatistics {
    public let mean: Tensor
    public let inverseStd: Tensor
}

/// Layer normalisation (Ba et al. 2016) of each sample over all its other axes, with a per-element affine, as
/// PyTorch's `nn.LayerNorm(x.shape[1...])` (CPC v2's encoder normalises each patch's [C, H, W] with it, so that no
/// statistic is shared between the patches of a batch). With x viewed as [N, D]:
///
///     μ_n = mean_d x[n, d],  σ²_n = mean_d (x[n, d] − μ_n)²,  y[n, d] = (x[n, d] − μ_n) / √(σ²_n + eps) · γ[d] + β[d]
///
/// γ and β have x's shape without its first axis. Returns y and the statistics `layerNormBackward` needs.
public func layerNorm(_ x: Tensor, gamma: Tensor, beta: Tensor, eps: Float = 1e-5) throws
    -> (output: Tensor, statistics: LayerNormStatistics) {
    let (n, d) = try layerNormRows("layerNorm", x, affine: [("gamma", gamma), ("beta", beta)])
    guard eps > 0, eps.isFinite else {
        throw SimileError.invalidArgument("layerNorm: eps must be finite and > 0, got \(eps)")
    }
    let output = try Tensor(uninitialized: x.shape, on: x.device)
    let statistics = LayerNormStatistics(mean: try Tensor(uninitialized: [n], on: x.device),
                                         inverseStd: try Tensor(uninitialized: [n], on: x.device))
    guard n > 0 else { return (output, statistics) }
    switch x.device.backend {
    case .cpu(let cpu):
        cpu.layerNorm(x, gamma: gamma, beta: beta, rows: n, columns: d, eps: eps, output: output,
                      statistics: statistics)
    case .opencl(let cl):
        try cl.launchLayerNormRows("layer_norm_forward", rows: n, [
            .buffer(x.clBuffer), .buffer(gamma.clBuffer), .buffer(beta.clBuffer), .int(d), .float(eps),
            .buffer(output.clBuffer), .buffer(statistics.mean.clBuffer), .buffer(statistics.inverseStd.clBuffer),
        ])
    }
    return (output, statistics)
}

/// The gradients of `layerNorm` for upstream dy, given its input x, its saved statistics and γ: with
/// g = dy·γ and x̂ = (x − μ_n)/σ_n, dx = (g − mean_d g − x̂ · mean_d(g·x̂)) / σ_n, dγ = Σ_n dy·x̂ and dβ = Σ_n dy.
public func layerNormBackward(_ dy: Tensor, input x: Tensor, statistics: LayerNormStatistics, gamma: Tensor) throws
    -> (input: Tensor, gamma: Tensor, beta: Tensor) {
    let op = "layerNormBackward"
    let (n, d) = try layerNormRows(op, x, affine: [("gamma", gamma)])
    try requireSameShape(op, dy, x)
    for (name, tensor) in [("mean", statistics.mean), ("inverseStd", statistics.inverseStd)] {
        guard tensor.shape == [n] else {
            throw SimileError.shapeMismatch(op: op, detail: "statistics \(name) \(tensor.shape) must be [\(n)] for x "
                                            + "\(x.shape)")
        }
        try requireSameDevice(op, x, tensor)
    }
    let dx = try Tensor(uninitialized: x.shape, on: x.device)
    let dgamma = try Tensor.zeros(gamma.shape, on: x.device), dbeta = try Tensor.zeros(gamma.shape, on: x.device)
    guard n > 0 else { return (dx, dgamma, dbeta) }
    switch x.device.backend {
    case .cpu(let cpu):
        cpu.layerNormBackward(dy, input: x, statistics: statistics, gamma: gamma, rows: n, columns: d,
                              gradients: (dx, dgamma, dbeta))
    case .opencl(let cl):
        try cl.launchLayerNormRows("layer_norm_backward_input", rows: n, [
            .buffer(dy.clBuffer), .buffer(x.clBuffer), .buffer(statistics.mean.clBuffer),
            .buffer(statistics.inverseStd.clBuffer), .buffer(gamma.clBuffer), .int(d), .buffer(dx.clBuffer),
        ])
        try cl.launchLayerNormAffine(columns: d, [
            .buffer(dy.clBuffer), .buffer(x.clBuffer), .buffer(statistics.mean.clBuffer),
            .buffer(statistics.inverseStd.clBuffer), .int(n), .int(d), .buffer(dgamma.clBuffer),
            .buffer(dbeta.clBuffer),
        ])
    }
    return (dx, dgamma, dbeta)
}

/// x's rows and row length (N, D) after checking x and that each `affine` tensor (γ, β) has the shape of one
/// sample of x.
private func layerNormRows(_ op: String, _ x: Tensor, affine: [(name: String, tensor: Tensor)]) throws -> (Int, Int) {
    guard x.shape.count >= 2, x.shape.dropFirst().allSatisfy({ $0 >= 1 }) else {
        throw SimileError.shapeMismatch(op: op, detail: "x must be [N, …] with at least one axis after N, none empty, "
                                        + "got \(x.shape)")
    }
    let sample = Array(x.shape.dropFirst())
    for (name, tensor) in affine {
        guard tensor.shape == sample else {
            throw SimileError.shapeMismatch(op: op, detail: "\(name) \(tensor.shape) must have the shape \(sample) of "
                                            + "one sample of x \(x.shape)")
        }
        try requireSameDevice(op, x, tensor)
    }
    try requireKernelSizes(op, [x.count], name: "x's element count")
    return (x.shape[0], sample.reduce(1, *))
}
