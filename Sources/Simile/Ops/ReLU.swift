import Kernels

/// max(x, 0), elementwise.
public func relu(_ x: Tensor) throws -> Tensor {
    let out = try Tensor(uninitialized: x.shape, on: x.device)
    switch x.device.backend {
    case .cpu(let cpu):
        let source = x.hostPointer, destination = out.hostPointer
        cpu.parallelFor(x.count, grain: 16) { range in
            for i in range { destination[i] = max(source[i], 0) }
        }
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
        let input = x.hostPointer, upstream = dy.hostPointer, destination = dx.hostPointer
        cpu.parallelFor(x.count, grain: 16) { range in
            for i in range { destination[i] = input[i] > 0 ? upstream[i] : 0 }
        }
    case .opencl(let cl):
        try cl.launchElementwise("relu_backward", count: x.count,
                                 [.buffer(x.clBuffer), .buffer(dy.clBuffer), .buffer(dx.clBuffer), .int(x.count)])
    }
    return dx
}
