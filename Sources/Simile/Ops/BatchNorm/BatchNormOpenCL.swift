import COpenCL
import Kernels

/// The OpenCL work splits of batch normalisation (Kernels/batch_norm.cl): one work-group per channel,
/// shaped for the device type as the GEMM variants are.
enum BatchNormKernel: String, CaseIterable {
    /// One work-item per channel walks its planes in vectors of the device's float width: no local memory,
    /// no barriers. For CPU devices (PoCL), where work-items run as loops on one core.
    case wideItemsCPU = "wide-items-cpu"
    /// Up to 256 work-items per channel read consecutive addresses and fold their partial sums by a tree
    /// in local memory. For GPUs and accelerators.
    case groupTreeGPU = "group-tree-gpu"

    static func preferred(for type: CLDeviceType) -> BatchNormKernel {
        KernelShapes.prefersRegisterBlocks(type) ? .wideItemsCPU : .groupTreeGPU
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
        ])
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
        ])
    }

    /// Launches kernel `name` of batch_norm.cl with one work-group per channel, in the work split `forced`
    /// or the one the device type prefers.
    private func launchBatchNorm(_ name: String, _ layout: BatchNormLayout, _ forced: BatchNormKernel?,
                                 _ arguments: [KernelArgument]) throws {
        guard layout.c > 0 else { return }
        var groupSize = 1
        if (forced ?? .preferred(for: info.type)) == .groupTreeGPU {
            groupSize = 256
            while groupSize > info.maxWorkGroupSize { groupSize /= 2 }
        }
        let kernel = try kernel(name, program: "batch_norm", source: KernelSource.batchNorm,
                                options: "-DWG=\(groupSize) -DVW=\(shapes.vectorWidth)")
        try launch(kernel, name: name, global: [layout.c * groupSize], local: [groupSize], arguments)
    }
}
