/// A fully connected layer's op: y = x · Wᵀ + b for x [N, in], weight [out, in] (PyTorch's layout) and an
/// optional bias [out].
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor {
    try checkLinearOperands(x, weight: weight, bias: bias)
    let y = try Tensor(uninitialized: [x.shape[0], weight.shape[0]], on: x.device)
    if let bias { try broadcastRow(bias, into: y) }
    try gemm(x, weight, into: y, transposeB: true, beta: bias == nil ? 0 : 1)
    return y
}

/// The gradients of `linear` given dL/dy [N, out], the forward input x and the weight:
/// dx = dy · W, dW = dyᵀ · x, db = Σ_n dy (nil when the layer has no bias).
public func linearBackward(_ dy: Tensor, input x: Tensor, weight: Tensor, hasBias: Bool) throws
    -> (input: Tensor, weight: Tensor, bias: Tensor?) {
    try checkLinearOperands(x, weight: weight, bias: nil)
    guard dy.shape == [x.shape[0], weight.shape[0]] else {
        throw SimileError.shapeMismatch(
            op: "linearBackward", detail: "dy \(dy.shape) does not match x \(x.shape) and weight \(weight.shape)")
    }
    try requireSameDevice("linearBackward", dy, x)
    let dx = try matmul(dy, weight)
    let dw = try matmul(dy, x, transposeA: true)
    return (dx, dw, hasBias ? try sum(dy, axis: 0) : nil)
}

private func checkLinearOperands(_ x: Tensor, weight: Tensor, bias: Tensor?) throws {
    try requireRank("linear", x, 2, name: "x")
    try requireRank("linear", weight, 2, name: "weight")
    guard x.shape[1] == weight.shape[1] else {
        throw SimileError.shapeMismatch(
            op: "linear", detail: "x \(x.shape) has \(x.shape[1]) features but weight \(weight.shape) expects \(weight.shape[1])")
    }
    if let bias {
        guard bias.shape == [weight.shape[0]] else {
            throw SimileError.shapeMismatch(op: "linear", detail: "bias \(bias.shape) must be [\(weight.shape[0])] for weight \(weight.shape)")
        }
        try requireSameDevice("linear", x, weight, bias)
    } else {
        try requireSameDevice("linear", x, weight)
    }
}

/// Fills every row of the matrix `out` with `row`.
private func broadcastRow(_ row: Tensor, into out: Tensor) throws {
    let cols = row.count
    switch out.device.backend {
    case .cpu(let cpu):
        let source = row.hostPointer, destination = out.hostPointer
        cpu.parallelFor(out.shape[0], work: out.count) { range in
            for r in range { (destination + r * cols).update(from: source, count: cols) }
        }
    case .opencl(let cl):
        try cl.launchElementwise("broadcast_row", count: out.count,
                                 [.buffer(row.clBuffer), .buffer(out.clBuffer), .int(cols), .int(out.count)])
    }
}
