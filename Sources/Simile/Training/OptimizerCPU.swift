/// The optimisers' CPU loops: one fused pass over p, g and the state, sixteen lanes at a time
/// (the formulas are OptimizerRule's; the OpenCL kernels in Kernels/optimizer.cl compute the same).

/// One update of sixteen elements: p and the two state vectors in place, g read only.
protocol StepVectorOp {
    func callAsFunction(_ p: inout SIMD16<Float>, _ g: SIMD16<Float>, _ s0: inout SIMD16<Float>, _ s1: inout SIMD16<Float>)
}

extension ParameterUpdate {
    func applyCPU(_ rule: OptimizerRule, _ cpu: CPUBackend) {
        let p = value.hostPointer, g = gradient.hostPointer
        switch rule {
        case let .sgd(momentum, nesterov):
            cpu.step(Momentum(learningRate: learningRate, weightDecay: weightDecay, scale: 1, momentum: momentum,
                              nesterov: nesterov, first: step == 1), p, g, state.first?.hostPointer, nil, count: value.count)
        case let .lars(momentum, nesterov, trust, eps):
            let scale = adapt ? larsLocalRate(cpu, trust: trust, eps: eps) : 1
            cpu.step(Momentum(learningRate: learningRate, weightDecay: weightDecay, scale: scale, momentum: momentum,
                              nesterov: nesterov, first: step == 1), p, g, state.first?.hostPointer, nil, count: value.count)
        case let .adamw(beta1, beta2, eps):
            let (c1, c2) = biasCorrections(beta1: beta1, beta2: beta2)
            cpu.step(AdamW(learningRate: learningRate, weightDecay: weightDecay, beta1: beta1, beta2: beta2, eps: eps,
                           c1: c1, c2: c2), p, g, state[0].hostPointer, state[1].hostPointer, count: value.count)
        }
    }

    /// η·‖p‖ / (‖g‖ + wd·‖p‖ + eps) when both norms are > 0, else 1.
    private func larsLocalRate(_ cpu: CPUBackend, trust: Float, eps: Float) -> Float {
        let p = value.hostPointer, g = gradient.hostPointer
        let pNorm = cpu.dot(p, p, count: value.count).squareRoot()
        let gNorm = cpu.dot(g, g, count: value.count).squareRoot()
        guard pNorm > 0, gNorm > 0 else { return 1 }
        return trust * pNorm / (gNorm + weightDecay * pNorm + eps)
    }
}

extension CPUBackend {
    /// op over elements [0, count) of p, g and the state s0, s1 (nil where the rule keeps none),
    /// split over cores in 16-aligned ranges.
    func step<Op: StepVectorOp>(_ op: Op, _ p: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                                _ s0: UnsafeMutablePointer<Float>?, _ s1: UnsafeMutablePointer<Float>?, count: Int) {
        parallelFor(count, grain: 16) { range in
            var i = range.lowerBound
            while i < range.upperBound {
                let lanes = min(16, range.upperBound - i)
                var pv = load(p + i, lanes), sv0 = s0.map { load($0 + i, lanes) } ?? .zero
                var sv1 = s1.map { load($0 + i, lanes) } ?? .zero
                op(&pv, load(g + i, lanes), &sv0, &sv1)
                store(pv, p + i, lanes)
                if let s0 { store(sv0, s0 + i, lanes) }
                if let s1 { store(sv1, s1 + i, lanes) }
                i += lanes
            }
        }
    }
}

@inline(__always)
private func load(_ source: UnsafePointer<Float>, _ lanes: Int) -> SIMD16<Float> {
    if lanes == 16 { return UnsafeRawPointer(source).loadUnaligned(as: SIMD16<Float>.self) }
    var vector = SIMD16<Float>()
    for lane in 0..<lanes { vector[lane] = source[lane] }
    return vector
}

@inline(__always)
private func store(_ vector: SIMD16<Float>, _ destination: UnsafeMutablePointer<Float>, _ lanes: Int) {
    if lanes == 16 { return UnsafeMutableRawPointer(destination).storeBytes(of: vector, as: SIMD16<Float>.self) }
    for lane in 0..<lanes { destination[lane] = vector[lane] }
}

/// SGD and LARS: d = scale·(g + wd·p); buf = μ·buf + d (d at the first step); d = d + μ·buf
/// (Nesterov) or buf; p −= lr·d. With μ = 0 the buffer is neither read nor written.
private struct Momentum: StepVectorOp {
    let learningRate, weightDecay, scale, momentum: Float
    let nesterov, first: Bool

    @inline(__always)
    func callAsFunction(_ p: inout SIMD16<Float>, _ g: SIMD16<Float>, _ buffer: inout SIMD16<Float>, _ unused: inout SIMD16<Float>) {
        var d = scale * (g + weightDecay * p)
        if momentum > 0 {
            buffer = first ? d : momentum * buffer + d
            d = nesterov ? d + momentum * buffer : buffer
        }
        p -= learningRate * d
    }
}

/// AdamW: p −= lr·wd·p; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; p −= (lr/c1)·m / (√v/√c2 + eps).
private struct AdamW: StepVectorOp {
    let learningRate, weightDecay, beta1, beta2, eps, c1, c2: Float

    @inline(__always)
    func callAsFunction(_ p: inout SIMD16<Float>, _ g: SIMD16<Float>, _ m: inout SIMD16<Float>, _ v: inout SIMD16<Float>) {
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        p *= 1 - learningRate * weightDecay
        p -= (learningRate / c1) * m / (v.squareRoot() / c2.squareRoot() + eps)
    }
}
