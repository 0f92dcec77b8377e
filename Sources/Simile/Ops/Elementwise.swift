import Kernels

/// a + b, elementwise (same shapes, no broadcasting).
public func add(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    try binary("add", a, b) { $0 + $1 }
}

/// a - b, elementwise.
public func sub(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    try binary("sub", a, b) { $0 - $1 }
}

/// a * b, elementwise.
public func mul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    try binary("mul", a, b) { $0 * $1 }
}

/// alpha * x.
public func scale(_ x: Tensor, by alpha: Float) throws -> Tensor {
    let out = try Tensor(uninitialized: x.shape, on: x.device)
    switch x.device.backend {
    case .cpu(let cpu):
        let source = x.hostPointer, destination = out.hostPointer
        cpu.parallelFor(x.count, grain: 16) { range in
            for i in range { destination[i] = alpha * source[i] }
        }
    case .opencl(let cl):
        try cl.launchElementwise("scale", count: x.count,
                                 [.buffer(x.clBuffer), .float(alpha), .buffer(out.clBuffer), .int(x.count)])
    }
    return out
}

/// y += alpha * x, in place.
public func axpy(_ alpha: Float, _ x: Tensor, _ y: Tensor) throws {
    try requireSameShape("axpy", x, y)
    switch x.device.backend {
    case .cpu(let cpu):
        let source = x.hostPointer, destination = y.hostPointer
        cpu.parallelFor(x.count, grain: 16) { range in
            for i in range { destination[i] += alpha * source[i] }
        }
    case .opencl(let cl):
        try cl.launchElementwise("axpy", count: x.count,
                                 [.float(alpha), .buffer(x.clBuffer), .buffer(y.clBuffer), .int(x.count)])
    }
}

/// The shared body of add, sub and mul: `kernel` names the OpenCL kernel, `operation` is the CPU loop body.
@inline(__always)
private func binary(_ kernel: String, _ a: Tensor, _ b: Tensor,
                    _ operation: (Float, Float) -> Float) throws -> Tensor {
    try requireSameShape(kernel, a, b)
    let out = try Tensor(uninitialized: a.shape, on: a.device)
    switch a.device.backend {
    case .cpu(let cpu):
        let left = a.hostPointer, right = b.hostPointer, destination = out.hostPointer
        cpu.parallelFor(a.count, grain: 16) { range in
            for i in range { destination[i] = operation(left[i], right[i]) }
        }
    case .opencl(let cl):
        try cl.launchElementwise(kernel, count: a.count,
                                 [.buffer(a.clBuffer), .buffer(b.clBuffer), .buffer(out.clBuffer), .int(a.count)])
    }
    return out
}
