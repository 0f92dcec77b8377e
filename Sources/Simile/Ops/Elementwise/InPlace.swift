/// In-place updates of one tensor from another of the same shape on the same device: what a target
/// network's exponential moving average and an optimiser's buffers need without allocating per step.
/// Each is one pass over memory (one kernel on OpenCL, enqueued without waiting for it; one vectorised
/// loop on the CPU), and each checks its operands and scalars before touching anything.

/// destination = source, elementwise. `source` and `destination` may be the same tensor (a no-op).
public func copy(_ source: Tensor, into destination: Tensor) throws {
    try requireSameShape("copy", source, destination)
    switch source.device.backend {
    case .cpu(let cpu):
        cpu.map(Identity(), source.hostPointer, into: destination.hostPointer, count: source.count)
    case .opencl(let cl):
        // clEnqueueCopyBuffer rather than a kernel: the runtime's own copy path (a DMA engine or a blit tuned to
        // the device on GPUs, memcpy on PoCL) with no kernel to build or launch; `Tensor.to` uses the same one.
        // It rejects overlapping source and destination regions, so a copy onto itself is skipped here.
        guard source.clBuffer !== destination.clBuffer else { return }
        try cl.copy(source.clBuffer, to: destination.clBuffer, count: source.count)
    }
}

/// target = m·target + (1 − m)·online, elementwise: one step of an exponential moving average with
/// momentum m ∈ [0, 1] (m = 1 keeps `target` exactly, m = 0 copies `online` exactly). The EMA of
/// `emaUpdate` applies it to every parameter of a model. `online` may be `target` (unchanged up to rounding).
///
/// It runs scaleAdd's kernel with a = m and b = 1 − m: the same single pass, with the scalar checks of a
/// momentum instead of two free coefficients. 1 − m is exact in float32 for m ∈ [0.5, 1], the EMA's range.
public func lerp(_ target: Tensor, toward online: Tensor, momentum m: Float) throws {
    try requireLerpOperands("lerp", target, online, momentum: m)
    try enqueueScaleAdd(target, a: m, online, b: 1 - m)
}

/// y = a·y + b·x, elementwise and in place (axpy with a scaled accumulator: a decayed running sum, a
/// momentum buffer). `x` may be `y`, which gives y = (a + b)·y. Throws unless a and b are finite.
public func scaleAdd(_ y: Tensor, scale a: Float, plus x: Tensor, times b: Float) throws {
    try requireSameShape("scaleAdd", y, x)
    for (name, value) in [("a", a), ("b", b)] where !value.isFinite {
        throw SimileError.invalidArgument("scaleAdd: \(name) must be finite, got \(value)")
    }
    try enqueueScaleAdd(y, a: a, x, b: b)
}

/// The checks of `lerp`, also run by `emaUpdate` over a whole model before it updates any tensor.
func requireLerpOperands(_ op: String, _ target: Tensor, _ online: Tensor, momentum m: Float) throws {
    try requireSameShape(op, target, online)
    guard m >= 0, m <= 1 else { throw SimileError.invalidArgument("\(op): momentum must be in [0, 1], got \(m)") }
}

/// y = a·y + b·x on y's device, for operands already checked: the body of `lerp` and `scaleAdd`.
private func enqueueScaleAdd(_ y: Tensor, a: Float, _ x: Tensor, b: Float) throws {
    switch y.device.backend {
    case .cpu(let cpu):
        cpu.map(ScaleAdd(a: a, b: b), y.hostPointer, x.hostPointer, into: y.hostPointer, count: y.count)
    case .opencl(let cl):
        try cl.launchElementwise("scale_add", count: y.count,
                                 [.buffer(y.clBuffer), .float(a), .buffer(x.clBuffer), .float(b), .int(y.count)])
    }
}

private struct Identity: UnaryVectorOp {
    func callAsFunction(_ x: SIMD16<Float>) -> SIMD16<Float> { x }
}

/// a·y + b·x. Not fused: without FMA in the build's target features, SIMD `addingProduct` becomes a libm call
/// per lane (lerp at 2048² measured 12× slower: 3.5 GB/s against 42); the OpenCL kernel's fma differs by an ulp at most.
private struct ScaleAdd: BinaryVectorOp {
    let a: SIMD16<Float>, b: SIMD16<Float>
    init(a: Float, b: Float) { (self.a, self.b) = (SIMD16(repeating: a), SIMD16(repeating: b)) }
    func callAsFunction(_ y: SIMD16<Float>, _ x: SIMD16<Float>) -> SIMD16<Float> { a * y + b * x }
}
