import COpenCL
import Kernels

/// The OpenCL work splits of batch normalisation (Kernels/batch_norm.cl): one work-group per channel, or several
/// when the channels alone cannot fill a GPU, shaped for the device type as the GEMM variants are.
enum BatchNormKernel: String, CaseIterable {
    /// One work-item per channel walks its planes in vectors of the device's float width: no local memory,
    /// no barriers. For CPU devices (PoCL), where work-items run as loops on one core.
    case wideItemsCPU = "wide-items-cpu"
    /// Up to 256 work-items per channel read consecutive addresses and fold their partial sums by a tree
    /// in local memory. For GPUs and accelerators.
    case groupTreeGPU = "group-tree-gpu"
    /// `groupTreeGPU`'s groups, several per channel, each summing its share of the channel into partial sums that
    /// a second kernel adds in group order before it normalises (split statistics, like split-K for GEMMs). For
    /// GPUs when the channels are fewer than the work-groups the device can run at once (ResNet's first stages).
    case splitGroupsGPU = "split-groups-gpu"

    /// The work-groups each channel's statistics take, forced `kernel` or the device's choice: several
    /// (`splitGroupsGPU`) when `channels` groups would fill fewer than `waves` waves of the compute units and
    /// each of the groups still gets at least 16 elements per work-item; else one.
    static func split(for info: CLDeviceInfo, channels: Int, count: Int, groupSize: Int,
                      forced: BatchNormKernel?) -> (kernel: BatchNormKernel, groups: Int) {
        let waves = 4
        let wanted = (waves * info.computeUnits + max(1, channels) - 1) / max(1, channels)
        let groups = min(wanted, count / (16 * groupSize))
        switch forced {
        // Forced (tests): at least 3 groups, so that uneven shares and empty ones are exercised too.
        case .splitGroupsGPU?: return (.splitGroupsGPU, max(3, groups))
        case let kernel?: return (kernel, 1)
        case nil where KernelShapes.prefersRegisterBlocks(info.type): return (.wideItemsCPU, 1)
        case nil: return groups >= 2 ? (.splitGroupsGPU, groups) : (.groupTreeGPU, 1)
        }
    }
}

extension OpenCLBackend {
    func batchNormTraining(_ x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVariance: Tensor,
                           layout: BatchNormLayout, momentum: Float, eps: Float, residual: Tensor?, relu: Bool,
                           output: Tensor, statistics: BatchNormStatistics, kernel forced: BatchNormKernel?) throws {
        try launchBatchNorm("batch_norm_train", layout, forced, [
            .buffer(x.clBuffer), .buffer(gamma.clBuffer), .buffer(beta.clBuffer), .buffer(runningMean.clBuffer),
            .buffer(runningVariance.clBuffer), .int(layout.n), .int(layout.c), .int(layout.s), .float(momentum),
            .float(eps)] + epilogue(x, residual, relu) + [.buffer(output.clBuffer), .buffer(statistics.mean.clBuffer),
            .buffer(statistics.inverseStd.clBuffer),
        ], partials: ("batch_norm_partial_moments", [.buffer(x.clBuffer), .int(layout.n), .int(layout.c),
                                                      .int(layout.s)]))
    }

    func batchNormInference(_ x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVariance: Tensor,
                            layout: BatchNormLayout, eps: Float, residual: Tensor?, relu: Bool, output: Tensor,
                            kernel forced: BatchNormKernel?) throws {
        try launchBatchNorm("batch_norm_eval", layout, forced, [
            .buffer(x.clBuffer), .buffer(gamma.clBuffer), .buffer(beta.clBuffer), .buffer(runningMean.clBuffer),
            .buffer(runningVariance.clBuffer), .int(layout.n), .int(layout.c), .int(layout.s), .float(eps)]
            + epilogue(x, residual, relu) + [.buffer(output.clBuffer)])
    }

    /// The kernels' epilogue arguments: the residual buffer and whether to add it (without a residual the kernel
    /// never reads the buffer; x stands in for it), then the ReLU flag.
    private func epilogue(_ x: Tensor, _ residual: Tensor?, _ relu: Bool) -> [KernelArgument] {
        [.buffer((residual ?? x).clBuffer), .int(residual == nil ? 0 : 1), .int(relu ? 1 : 0)]
    }

    func batchNormBackward(_ dy: Tensor, input x: Tensor, output: Tensor?, statistics: BatchNormStatistics,
                           gamma: Tensor, layout: BatchNormLayout, dx: Tensor, dgamma: Tensor, dbeta: Tensor,
                           kernel forced: BatchNormKernel?) throws {
        // Without a fused ReLU the kernel never reads its output argument; dy stands in for it.
        try launchBatchNorm("batch_norm_backward", layout, forced, [
            .buffer(dy.clBuffer), .buffer(x.clBuffer), .buffer((output ?? dy).clBuffer), .int(output == nil ? 0 : 1),
            .buffer(statistics.mean.clBuffer), .buffer(statistics.inverseStd.clBuffer), .buffer(gamma.clBuffer),
            .int(layout.n), .int(layout.c), .int(layout.s), .buffer(dx.clBuffer), .buffer(dgamma.clBuffer),
            .buffer(dbeta.clBuffer),
        ], partials: ("batch_norm_partial_gradients", [
            .buffer(dy.clBuffer), .buffer(x.clBuffer), .buffer((output ?? dy).clBuffer), .int(output == nil ? 0 : 1),
            .buffer(statistics.mean.clBuffer), .int(layout.n), .int(layout.c), .int(layout.s),
        ]))
    }

    /// Launches kernel `name` of batch_norm.cl with one work-group per channel, in the work split `forced` or the
    /// one the device prefers. Split (`BatchNormKernel.split`; training and backward, which pass `partials`): first
    /// the `partials` kernel, its arguments followed by the groups per channel and the partial-sums buffer, then
    /// `name`_split with `arguments` followed by the same two.
    private func launchBatchNorm(_ name: String, _ layout: BatchNormLayout, _ forced: BatchNormKernel?,
                                 _ arguments: [KernelArgument],
                                 partials: (name: String, arguments: [KernelArgument])? = nil) throws {
        guard layout.c > 0 else { return }
        var groupSize = 1
        if !(forced.map { $0 == .wideItemsCPU } ?? KernelShapes.prefersRegisterBlocks(info.type)) {
            groupSize = 256
            while groupSize > info.maxWorkGroupSize { groupSize /= 2 }
        }
        let options = "-DWG=\(groupSize) -DVW=\(shapes.vectorWidth)"
        let (variant, groups) = BatchNormKernel.split(for: info, channels: layout.c, count: layout.n * layout.s,
                                                      groupSize: groupSize, forced: forced)
        guard variant == .splitGroupsGPU, let partials else {
            let kernel = try kernel(name, program: "batch_norm", source: KernelSource.batchNorm, options: options)
            try launch(kernel, name: name, global: [layout.c * groupSize], local: [groupSize], arguments)
            return
        }
        let sums = try pool.buffer(bytes: 2 * layout.c * groups * MemoryLayout<Float>.stride)
        let first = try kernel(partials.name, program: "batch_norm", source: KernelSource.batchNorm, options: options)
        try launch(first, name: partials.name, global: [layout.c * groups * groupSize], local: [groupSize],
                   partials.arguments + [.int(groups), .buffer(sums)])
        let second = try kernel(name + "_split", program: "batch_norm", source: KernelSource.batchNorm, options: options)
        try launch(second, name: name + "_split", global: [layout.c * groups * groupSize], local: [groupSize],
                   arguments + [.int(groups), .buffer(sums)])
    }
}
