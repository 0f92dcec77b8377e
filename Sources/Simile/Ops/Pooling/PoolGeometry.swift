import Kernels

/// The window arithmetic of 2-D pooling over NCHW input with a square window, as PyTorch computes it
/// (floor output size), validated on construction: every failure is one `SimileError` naming the op and shapes.
/// With padding ≤ kernelSize / 2 every window holds at least one input element.
struct PoolGeometry {
    let batch: Int, channels: Int, height: Int, width: Int
    let window: Int, stride: Int, padding: Int
    let outHeight: Int, outWidth: Int

    init(_ op: String, inputShape shape: [Int], kernelSize: Int, stride: Int, padding: Int, name: String = "x") throws {
        try requireNCHW(op, shape, name: name)
        guard kernelSize >= 1, stride >= 1, padding >= 0, padding <= kernelSize / 2 else {
            throw SimileError.invalidArgument(
                "\(op): need kernelSize ≥ 1, stride ≥ 1 and 0 ≤ padding ≤ kernelSize / 2, got kernelSize \(kernelSize), "
                    + "stride \(stride), padding \(padding) for \(name) \(shape)")
        }
        try requireKernelSizes(op, [kernelSize], name: "kernelSize")
        (batch, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
        guard height + 2 * padding >= kernelSize, width + 2 * padding >= kernelSize else {
            throw SimileError.shapeMismatch(
                op: op, detail: "window \(kernelSize)×\(kernelSize) is larger than \(name) \(shape) padded by \(padding)")
        }
        (window, self.stride, self.padding) = (kernelSize, stride, padding)
        outHeight = (height + 2 * padding - kernelSize) / stride + 1
        outWidth = (width + 2 * padding - kernelSize) / stride + 1
    }

    var planes: Int { batch * channels }
    var planeSize: Int { height * width }
    var outPlaneSize: Int { outHeight * outWidth }
    var outputShape: [Int] { [batch, channels, outHeight, outWidth] }

    /// The input rows of output row `oh`'s window, clipped to the input (padding rows dropped).
    func windowRows(_ oh: Int) -> Range<Int> {
        let start = oh * stride - padding
        return max(start, 0)..<min(start + window, height)
    }

    /// The input columns of output column `ow`'s window, clipped to the input.
    func windowColumns(_ ow: Int) -> Range<Int> {
        let start = ow * stride - padding
        return max(start, 0)..<min(start + window, width)
    }

    /// Checks that `dy` is the output gradient this geometry produces.
    func requireOutputGradient(_ op: String, _ dy: Tensor) throws {
        guard dy.shape == outputShape else {
            throw SimileError.shapeMismatch(
                op: op, detail: "dy \(dy.shape) is not the output shape \(outputShape) of input \([batch, channels, height, width]) "
                    + "with kernelSize \(window), stride \(stride), padding \(padding)")
        }
    }

    /// The kernel arguments after the input buffer of the windowed kernels in pooling.cl.
    var kernelArguments: [KernelArgument] {
        [.int(height), .int(width), .int(outHeight), .int(outWidth), .int(window), .int(stride), .int(padding)]
    }
}

/// Requires `shape` to be [N, C, H, W] with H, W ≥ 1.
func requireNCHW(_ op: String, _ shape: [Int], name: String) throws {
    guard shape.count == 4, shape.allSatisfy({ $0 >= 0 }), shape[2] >= 1, shape[3] >= 1 else {
        throw SimileError.shapeMismatch(op: op, detail: "\(name) must be 4-D [N, C, H, W] with H, W ≥ 1, got \(shape)")
    }
    try requireKernelSizes(op, shape, name: name)
}

extension OpenCLBackend {
    /// Runs a kernel of pooling.cl over `count` items (elements, or planes for max_pool2d_backward): `arguments`
    /// are its buffers and sizes, this appends the item count and the run of items per work-item.
    /// GPUs: one item per work-item. CPU devices: work-groups of one work-item and about 16 runs per compute unit.
    func launchPooling(_ name: String, op: String, count: Int, _ arguments: [KernelArgument]) throws {
        guard count > 0 else { return }
        guard count <= Int(Int32.max) else {
            throw SimileError.invalidArgument("\(op): \(count) items exceed the OpenCL kernels' 32-bit indices")
        }
        let cpuDevice = shapes.prefersRegisterBlocks
        let run = cpuDevice ? max(1, count / (16 * max(1, info.computeUnits))) : 1
        let kernel = try kernel(name, program: "pooling", source: KernelSource.pooling)
        try launch(kernel, name: name, global: [(count + run - 1) / run],
                   local: [cpuDevice ? 1 : min(256, info.maxWorkGroupSize)], arguments + [.int(count), .int(run)])
    }
}
