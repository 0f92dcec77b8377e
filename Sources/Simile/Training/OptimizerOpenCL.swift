import Kernels

/// The optimisers' OpenCL launchers: one fused update kernel per rule (Kernels/optimizer.cl), and
/// for LARS the two norm launches before it, all enqueued without reading anything back.
extension ParameterUpdate {
    func applyOpenCL(_ rule: OptimizerRule, _ cl: OpenCLBackend) throws {
        let n = value.count
        guard n > 0 else { return }
        let p = value.clBuffer, g = gradient.clBuffer
        switch rule {
        case let .sgd(momentum, nesterov):
            try cl.launchOptimizer("sgd_step", count: n,
                                   [.buffer(p), .buffer(g), .buffer(state.first?.clBuffer ?? g), .float(learningRate),
                                    .float(weightDecay), .float(momentum), .int(nesterov ? 1 : 0), .int(step == 1 ? 1 : 0), .int(n)])
        case let .lars(momentum, nesterov, trust, eps):
            let norms = try squaredNorms(cl)
            try cl.launchOptimizer("lars_step", count: n,
                                   [.buffer(p), .buffer(g), .buffer(state.first?.clBuffer ?? g), .buffer(norms.clBuffer),
                                    .float(learningRate), .float(weightDecay), .float(momentum), .int(nesterov ? 1 : 0),
                                    .int(step == 1 ? 1 : 0), .int(adapt ? 1 : 0), .float(trust), .float(eps), .int(n)])
        case let .adamw(beta1, beta2, eps):
            let (c1, c2) = biasCorrections(beta1: beta1, beta2: beta2)
            try cl.launchOptimizer("adamw_step", count: n,
                                   [.buffer(p), .buffer(g), .buffer(state[0].clBuffer), .buffer(state[1].clBuffer),
                                    .float(learningRate), .float(weightDecay), .float(beta1), .float(beta2), .float(eps),
                                    .float(c1), .float(c2), .int(n)])
        }
    }

    /// [‖p‖², ‖g‖²] on the device: G groups of partial sums, then one group folds them.
    private func squaredNorms(_ cl: OpenCLBackend) throws -> Tensor {
        let n = value.count, groupSize = cl.shapes.reductionGroupSize
        let groups = min((n + groupSize - 1) / groupSize, 256)
        let options = "-DWG=\(groupSize)"
        let partials = try Tensor(uninitialized: [2 * groups], on: value.device)
        let norms = try Tensor(uninitialized: [2], on: value.device)
        let partialKernel = try cl.kernel("norm_partials", program: "optimizer", source: KernelSource.optimizer, options: options)
        try cl.launch(partialKernel, name: "norm_partials", global: [groups * groupSize], local: [groupSize],
                      [.buffer(value.clBuffer), .buffer(gradient.clBuffer), .int(n), .buffer(partials.clBuffer)])
        let finishKernel = try cl.kernel("norm_finish", program: "optimizer", source: KernelSource.optimizer, options: options)
        try cl.launch(finishKernel, name: "norm_finish", global: [groupSize], local: [groupSize],
                      [.buffer(partials.clBuffer), .int(groups), .buffer(norms.clBuffer)])
        return norms
    }
}

extension OpenCLBackend {
    /// Runs the update kernel `name` of Kernels/optimizer.cl over `count` elements, one work-item each.
    func launchOptimizer(_ name: String, count: Int, _ arguments: [KernelArgument]) throws {
        let kernel = try kernel(name, program: "optimizer", source: KernelSource.optimizer,
                                options: "-DWG=\(shapes.reductionGroupSize)")
        try launch(kernel, name: name, global: [count], local: [min(256, info.maxWorkGroupSize)], arguments)
    }
}
