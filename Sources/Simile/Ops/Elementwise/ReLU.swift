import Kernels

/// max(x, 0), elementwise; NaN propagates, as in PyTorch.
public func relu(_ x: Tensor) throws -> Tensor {
    let out = try Tensor(uninitialized: x.shape, on: x.device)
    switch x.device.backend {
    case .cpu(let cpu):
        cpu.map(Rectify(), x.hostPointer, into: out.hostPointer, count: x.count)
    case .opencl(let cl):
        try cl.launchElementwise("relu_forward", count: x.count,
                                 [.buffer(x.clBuffer), .buffer(out.clBuffer), .int(x.count)])
    }
    return out
}

/// The gradient of `relu` at input `x`: dy where x > 0, else 0.
public func reluBackward(input x: Tensor, gradient dy: Tensor) throws -> Tensor {
    try requireSameShape("reluBackward", x, dy)
    let dx = try Tensor(uninitialized: x.shape, on: x.device)
    switch x.device.backend {
    case .cpu(let cpu):
        cpu.map(RectifyGradient(), x.hostPointer, dy.hostPointer, into: dx.hostPointer, count: x.count)
    case .opencl(let cl):
        try cl.launchElementwise("relu_backward", count: x.count,
                                 [.buffer(x.clBuffer), .buffer(dy.clBuffer), .buffer(dx.clBuffer), .int(x.count)])
    }
    return dx
}

/// 0 where x < 0, else x (NaN stays NaN, as in PyTorch).
private struct Rectify: UnaryVectorOp {
    func callAsFunction(_ x: SIMD16<Float>) -> SIMD16<Float> { x.replacing(with: 0, where: x .< 0) }
}

/// dy where x > 0, else 0.
private struct RectifyGradient: BinaryVectorOp {
    func callAsFunction(_ x: SIMD16<Float>, _ dy: SIMD16<Float>) -> SIMD16<Float> {
        SIMD16<Float>.zero.replacing(with: dy, where: x .> 0)
    }
}
