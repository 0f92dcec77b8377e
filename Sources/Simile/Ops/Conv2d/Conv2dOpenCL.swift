import COpenCL
import Kernels

/// The OpenCL convolution: GEMMs over chunks of images, whose im2col columns are packed straight from the
/// image into the GEMM's panel layout (conv2d.cl), so the extra memory is bounded by the chunk, not the batch.
/// Each direction's GEMM is the variant `gemmVariant` picks for its shape (tuned, or the device type's
/// defaults), and so are its panel widths, which the packing follows. With K = C·KH·KW and T the chunk's columns (images × OH·OW):
/// - forward:         C [O, T] = W · col, then conv_scatter_output writes y with the bias;
/// - input gradient:  dcol [K, T] = Wᵀ · dY, then conv_col2im gathers dx;
/// - weight gradient: dW [O, K] += dY · colᵀ, accumulated over chunks by the GEMM (beta = 1).
/// W (or Wᵀ) is packed once per call; each chunk packs only its columns.
extension OpenCLBackend {
    /// Device bytes of column scratch a chunk may take (about T·(K + O) floats).
    private static let chunkBytes = 32 << 20

    /// The GEMM variant of one direction for a chunk of `imagesPerChunk(g)` images: the one `gemmVariant` picks for
    /// its M×N×K, unless `kernel` forces one (as `gemm(kernel:)` does).
    private func convVariant(_ g: ConvGeometry, _ direction: ConvDirection, _ kernel: GemmKernel? = nil,
                             chunkLimit: Int? = nil) -> GemmVariant {
        let columns = imagesPerChunk(g, limit: chunkLimit) * g.outSpatial
        let (o, k) = (g.outChannels, g.patch)
        switch direction {
        case .forward: return gemmVariant(m: o, n: columns, k: k, forcing: kernel)
        case .backwardInput: return gemmVariant(m: k, n: columns, k: o, forcing: kernel)
        case .backwardWeight: return gemmVariant(m: o, n: k, k: columns, forcing: kernel)
        }
    }

    // Each direction takes `chunkLimit` (images per chunk) and `kernel` (the GEMM variant) so that tests can
    // force several chunks and every variant.

    /// Images per chunk: as many as fit `chunkBytes`, or `limit` (tests use it to force several chunks).
    private func imagesPerChunk(_ g: ConvGeometry, limit: Int? = nil) -> Int {
        let perImage = g.outSpatial * (g.patch + g.outChannels) * MemoryLayout<Float>.stride
        return max(1, min(g.batch, limit ?? Self.chunkBytes / perImage))
    }

    /// The chunks of images: (first image, images).
    private func chunks(_ g: ConvGeometry, size: Int) -> [(Int, Int)] {
        stride(from: 0, to: g.batch, by: size).map { ($0, min(size, g.batch - $0)) }
    }

    func conv2dScratchBytes(_ g: ConvGeometry, _ direction: ConvDirection) -> Int {
        let v = convVariant(g, direction), columns = imagesPerChunk(g) * g.outSpatial
        let (o, k) = (g.outChannels, g.patch)
        switch direction {
        case .forward:
            return v.extraBytes(m: o, n: columns, k: k, computeUnits: info.computeUnits)
                + o * columns * MemoryLayout<Float>.stride
        case .backwardInput:
            return v.extraBytes(m: k, n: columns, k: o, computeUnits: info.computeUnits)
                + k * columns * MemoryLayout<Float>.stride
        case .backwardWeight:
            return v.extraBytes(m: o, n: k, k: columns, computeUnits: info.computeUnits)
        }
    }

    func conv2dForward(_ g: ConvGeometry, x: Tensor, weight: Tensor, bias: Tensor?, y: Tensor,
                       chunkLimit: Int? = nil, kernel: GemmKernel? = nil) throws {
        let v = convVariant(g, .forward, kernel, chunkLimit: chunkLimit)
        let chunkImages = imagesPerChunk(g, limit: chunkLimit), depth = roundUp(g.patch, v.kStep), maxColumns = chunkImages * g.outSpatial
        let packedW = try pack(weight.reshaped([g.outChannels, g.patch]), rows: g.outChannels, depth: g.patch,
                               paddedDepth: depth, transpose: false, panel: v.aPanel)
        let packedColumns = try pool.buffer(bytes: roundUp(maxColumns, v.bPanel) * depth * MemoryLayout<Float>.stride)
        let product = try pool.buffer(bytes: g.outChannels * maxColumns * MemoryLayout<Float>.stride)
        let scatter = try convKernel("conv_scatter_output")
        for (first, images) in chunks(g, size: chunkImages) {
            let columns = images * g.outSpatial
            try packColumns(x, g.inputPatches, first: first, columns: columns, pixelRows: true, rows: columns,
                            depth: depth, panel: v.bPanel, into: packedColumns)
            try gemmPacked(v, packedW, packedColumns, into: product, m: g.outChannels, n: columns, depth: depth,
                           ldc: columns, alpha: 1, beta: 0)
            try launch(scatter, name: "conv_scatter_output", global: [g.outSpatial, g.outChannels, images],
                       [.buffer(product), .int(columns), .buffer(bias?.clBuffer ?? product), .int(bias == nil ? 0 : 1),
                        .int(g.outChannels), .int(first), .buffer(y.clBuffer)])
        }
    }

    func conv2dBackwardInput(_ g: ConvGeometry, dy: Tensor, weight: Tensor, dx: Tensor, chunkLimit: Int? = nil,
                             kernel: GemmKernel? = nil) throws {
        let v = convVariant(g, .backwardInput, kernel, chunkLimit: chunkLimit)
        let chunkImages = imagesPerChunk(g, limit: chunkLimit), depth = roundUp(g.outChannels, v.kStep), maxColumns = chunkImages * g.outSpatial
        let packedWT = try pack(weight.reshaped([g.outChannels, g.patch]), rows: g.patch, depth: g.outChannels,
                                paddedDepth: depth, transpose: true, panel: v.aPanel)
        let packedDy = try pool.buffer(bytes: roundUp(maxColumns, v.bPanel) * depth * MemoryLayout<Float>.stride)
        let columnGradient = try pool.buffer(bytes: g.patch * maxColumns * MemoryLayout<Float>.stride)
        let col2im = try convKernel("conv_col2im")
        for (first, images) in chunks(g, size: chunkImages) {
            let columns = images * g.outSpatial
            try packColumns(dy, g.outputPatches, first: first, columns: columns, pixelRows: true, rows: columns,
                            depth: depth, panel: v.bPanel, into: packedDy)
            try gemmPacked(v, packedWT, packedDy, into: columnGradient, m: g.patch, n: columns, depth: depth,
                           ldc: columns, alpha: 1, beta: 0)
            try launch(col2im, name: "conv_col2im", global: [g.height, g.inChannels, images], local: [1, 1, 1],
                       [.buffer(columnGradient)] + g.inputPatches.arguments
                        + [.int(first), .int(columns), .buffer(dx.clBuffer)])
        }
    }

    func conv2dBackwardWeight(_ g: ConvGeometry, dy: Tensor, x: Tensor, dw: Tensor, chunkLimit: Int? = nil,
                             kernel: GemmKernel? = nil) throws {
        let v = convVariant(g, .backwardWeight, kernel, chunkLimit: chunkLimit)
        let chunkImages = imagesPerChunk(g, limit: chunkLimit)
        let maxDepth = roundUp(chunkImages * g.outSpatial, v.kStep)
        let packedDy = try pool.buffer(bytes: roundUp(g.outChannels, v.aPanel) * maxDepth * MemoryLayout<Float>.stride)
        let packedColumns = try pool.buffer(bytes: roundUp(g.patch, v.bPanel) * maxDepth * MemoryLayout<Float>.stride)
        for (first, images) in chunks(g, size: chunkImages) {
            let columns = images * g.outSpatial, depth = roundUp(columns, v.kStep)
            try packColumns(dy, g.outputPatches, first: first, columns: columns, pixelRows: false, rows: g.outChannels,
                            depth: depth, panel: v.aPanel, into: packedDy)
            try packColumns(x, g.inputPatches, first: first, columns: columns, pixelRows: false, rows: g.patch,
                            depth: depth, panel: v.bPanel, into: packedColumns)
            try gemmPacked(v, packedDy, packedColumns, into: dw.clBuffer, m: g.outChannels, n: g.patch, depth: depth,
                           ldc: g.patch, alpha: 1, beta: first == 0 ? 0 : 1)
        }
    }

    /// Packs the im2col matrix of `source`'s images first ..< first + columns / S (geometry `patches`) as a GEMM
    /// operand with `rows` rows of depth `depth` in panels of `panel` (conv_pack_columns in conv2d.cl).
    private func packColumns(_ source: Tensor, _ patches: PatchGeometry, first: Int, columns: Int, pixelRows: Bool,
                             rows: Int, depth: Int, panel: Int, into packed: CLBuffer) throws {
        try launch(try convKernel("conv_pack_columns"), name: "conv_pack_columns",
                   global: [panel, depth, roundUp(rows, panel) / panel], local: [panel, 1, 1],
                   [.buffer(source.clBuffer)] + patches.arguments
                    + [.int(first), .int(columns), .int(pixelRows ? 1 : 0), .buffer(packed), .int(panel), .int(depth)])
    }

    private func convKernel(_ name: String) throws -> cl_kernel {
        try kernel(name, program: "conv2d", source: KernelSource.conv2d)
    }
}

/// How an image tensor is read as im2col columns: its C, H, W, the kernel, stride, padding and output size,
/// in the argument order of conv2d.cl's kernels.
private struct PatchGeometry {
    let arguments: [KernelArgument]
}

extension ConvGeometry {
    /// x's patches: the convolution's own im2col matrix.
    fileprivate var inputPatches: PatchGeometry {
        PatchGeometry(arguments: [inChannels, height, width, kernelHeight, kernelWidth, stride, padding, outHeight,
                                  outWidth].map { .int($0) })
    }

    /// dy read as the im2col matrix of a 1×1 convolution: row o, column (n, oh, ow) is dy[n, o, oh, ow].
    fileprivate var outputPatches: PatchGeometry {
        PatchGeometry(arguments: [outChannels, outHeight, outWidth, 1, 1, 1, 0, outHeight, outWidth].map { .int($0) })
    }
}
