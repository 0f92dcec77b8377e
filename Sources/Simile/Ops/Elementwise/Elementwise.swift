import Kernels

/// a + b, elementwise (same shapes, no broadcasting).
public func add(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    try binary("add", a, b, Add())
}

/// a - b, elementwise.
public func sub(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    try binary("sub", a, b, Subtract())
}

/// a * b, elementwise.
public func mul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    try binary("mul", a, b, Multiply())
}

/// alpha * x.
public func scale(_ x: Tensor, by alpha: Float) throws -> Tensor {
    let out = try Tensor(uninitialized: x.shape, on: x.device)
    switch x.device.backend {
    case .cpu(let cpu):
        cpu.map(Scale(alpha: alpha), x.hostPointer, into: out.hostPointer, count: x.count)
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
        cpu.map(MultiplyAdd(alpha: alpha), x.hostPointer, y.hostPointer, into: y.hostPointer, count: x.count)
    case .opencl(let cl):
        try cl.launchElementwise("axpy", count: x.count,
                                 [.float(alpha), .buffer(x.clBuffer), .buffer(y.clBuffer), .int(x.count)])
    }
}

/// The shared body of add, sub and mul: `kernel` names the OpenCL kernel, `operation` the CPU loop's op.
private func binary<Op: BinaryVectorOp>(_ kernel: String, _ a: Tensor, _ b: Tensor, _ operation: Op) throws -> Tensor {
    try requireSameShape(kernel, a, b)
    let out = try Tensor(uninitialized: a.shape, on: a.device)
    switch a.device.backend {
    case .cpu(let cpu):
        cpu.map(operation, a.hostPointer, b.hostPointer, into: out.hostPointer, count: a.count)
    case .opencl(let cl):
        try cl.launchElementwise(kernel, count: a.count,
                                 [.buffer(a.clBuffer), .buffer(b.clBuffer), .buffer(out.clBuffer), .int(a.count)])
    }
    return out
}

private struct Add: BinaryVectorOp {
    func callAsFunction(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { a + b }
}

private struct Subtract: BinaryVectorOp {
    func callAsFunction(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { a - b }
}

private struct Multiply: BinaryVectorOp {
    func callAsFunction(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { a * b }
}

private struct Scale: UnaryVectorOp {
    let alpha: SIMD16<Float>
    init(alpha: Float) { self.alpha = SIMD16(repeating: alpha) }
    func callAsFunction(_ x: SIMD16<Float>) -> SIMD16<Float> { alpha * x }
}

/// alpha · x + y, the body of axpy.
private struct MultiplyAdd: BinaryVectorOp {
    let alpha: SIMD16<Float>
    init(alpha: Float) { self.alpha = SIMD16(repeating: alpha) }
    func callAsFunction(_ x: SIMD16<Float>, _ y: SIMD16<Float>) -> SIMD16<Float> { y + alpha * x }
}
