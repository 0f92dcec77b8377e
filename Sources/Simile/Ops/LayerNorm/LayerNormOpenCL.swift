import Kernels

/// The OpenCL launches of Kernels/layer_norm.cl: the row kernels take one work-group per row, of the device's
/// reduction size (`KernelShapes.reductionGroupSize`: a tree in local memory on GPUs, one looping item on CPU
/// devices); the affine gradients one work-item per element of a sample.
extension OpenCLBackend {
    func launchLayerNormRows(_ name: String, rows: Int, _ arguments: [KernelArgument]) throws {
        let size = shapes.reductionGroupSize
        let kernel = try kernel(name, program: "layer_norm", source: KernelSource.layerNorm, options: "-DWG=\(size)")
        try launch(kernel, name: name, global: [rows * size], local: [size], arguments)
    }

    func launchLayerNormAffine(columns: Int, _ arguments: [KernelArgument]) throws {
        let size = shapes.reductionGroupSize
        let name = "layer_norm_backward_affine"
        let kernel = try kernel(name, program: "layer_norm", source: KernelSource.layerNorm, options: "-DWG=\(size)")
        try launch(kernel, name: name, global: [(columns + size - 1) / size * size], local: [size], arguments)
    }
}
