import CPUKernels

/// The optimisers' CPU loops: one fused pass over p, g and the state, in the C kernels of the CPU's instruction set
/// (`momentum_step`, `adamw_step` in Sources/CPUKernels; the formulas are OptimizerRule's, and the OpenCL kernels in
/// Kernels/optimizer.cl compute the same), split over the cores. In Swift's baseline SSE2 build the sixteen-lane
/// update spilled its vectors to the stack; in C it runs at the machine's width.
extension ParameterUpdate {
    func applyCPU(_ rule: OptimizerRule, _ cpu: CPUBackend) {
        switch rule {
        case let .sgd(momentum, nesterov):
            momentumStep(cpu, momentumRule(scale: 1, momentum: momentum, nesterov: nesterov))
        case let .lars(momentum, nesterov, trust, eps):
            momentumStep(cpu, momentumRule(scale: adapt ? larsLocalRate(cpu, trust: trust, eps: eps) : 1,
                                           momentum: momentum, nesterov: nesterov))
        case let .adamw(beta1, beta2, eps):
            let (c1, c2) = biasCorrections(beta1: beta1, beta2: beta2)
            let step = simile_adamw_rule(learning_rate: learningRate, weight_decay: weightDecay, beta1: beta1,
                                         beta2: beta2, eps: eps, c1: c1, c2: c2)
            let p = value.hostPointer, g = UnsafePointer(gradient.hostPointer), kernels = cpu.kernels
            let (m, v) = (state[0].hostPointer, state[1].hostPointer)
            cpu.parallelFor(value.count, grain: 16) { range in
                kernels.adamw_step(step, p + range.lowerBound, g + range.lowerBound, m + range.lowerBound,
                                   v + range.lowerBound, range.count)
            }
        }
    }

    /// SGD's and LARS's update with `rule`, the momentum buffer (when the rule keeps one) in place.
    private func momentumStep(_ cpu: CPUBackend, _ rule: simile_momentum_rule) {
        let p = value.hostPointer, g = UnsafePointer(gradient.hostPointer), kernels = cpu.kernels
        let buffer = state.first?.hostPointer
        cpu.parallelFor(value.count, grain: 16) { range in
            kernels.momentum_step(rule, p + range.lowerBound, g + range.lowerBound, buffer.map { $0 + range.lowerBound },
                                  range.count)
        }
    }

    private func momentumRule(scale: Float, momentum: Float, nesterov: Bool) -> simile_momentum_rule {
        simile_momentum_rule(learning_rate: learningRate, weight_decay: weightDecay, scale: scale, momentum: momentum,
                             nesterov: nesterov ? 1 : 0, first: step == 1 ? 1 : 0)
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
