import CBLAS
import CPUKernels

/// Winograd's minimal filtering F(4×4, 3×3) (Lavin & Gray 2015) for the forward pass and input gradient of 3×3,
/// stride-1 convolutions on the CPU (the weight gradient, its adjoint, is in WinogradWeightGradientCPU.swift). Each
/// 4×4 block of an output channel (a "tile") is Aᵀ [Σ_c U_c ⊙ V_c] A with
///
///     V = Bᵀ d B   d: the tile's 6×6 input window in channel c, zero outside the image
///     U = G g Gᵀ   g: the 3×3 filter from channel c to the output channel
///
///     G = [ 1/4     0     0]    (Bᵀ and Aᵀ: the C kernels in Sources/CPUKernels/kernels.h)
///         [−1/6  −1/6  −1/6]
///         [−1/6   1/6  −1/6]
///         [1/24  1/12   1/6]
///         [1/24 −1/12   1/6]
///         [   0     0     1]
///
/// so the 36 entries ξ of a transformed tile are 36 independent GEMMs over the P tiles of a block,
/// M_ξ [O, P] = U_ξ [O, C] · V_ξ [C, P]: 36·O·C multiply-adds per tile of 16 outputs against the direct
/// convolution's 144·O·C, 4× fewer.
///
/// Accuracy: the transforms' coefficients (up to 8 in Aᵀ, 5 in Bᵀ, 1/24 in G) make each output's rounding error
/// about ten times F(2×2, 3×3)'s. Measured against float64 on uniform data, it stays within 2.5e-6 of the largest
/// Σ|w||x| of the output (the sum over its taps of |weight|·|input|, the yardstick of the direct convolution's
/// own bound, whose error is about 1e-7 of it); the tests hold it to 5e-6 (WinogradTests).
///
/// Work decomposition: blocks of whole tile rows (the ⌈OW/4⌉ tiles side by side, `Winograd4Plan`) are split over
/// the cores. Per block a core transforms its input windows into V (the C kernel `winograd4_input` of the CPU's
/// instruction set, one SIMD lane per tile), runs the 36 GEMMs (OpenBLAS single-threaded, see
/// `parallelCallingBLAS`) and transforms M back into y (`winograd4_output`, which adds the bias), all in its own
/// cache. Where a tile row has fewer tiles than a vector has lanes (8×8 and 4×4 images), both transforms take their
/// lanes across tile rows and images instead (the C kernels choose). (Rounds shared by the cores, the GEMMs split by
/// ξ as in the weight gradient, measured slower here.)
///
/// The input gradient of a stride-1 3×3 convolution with padding p is this convolution of dy with every filter
/// rotated by 180° and C and O swapped, with padding 2 − p.
extension ConvGeometry {
    /// Whether the forward pass and both gradients can run as Winograd.
    var allowsWinograd: Bool {
        Self.allowsWinograd(kernelHeight: kernelHeight, kernelWidth: kernelWidth, stride: stride, padding: padding)
    }

    /// Whether Winograd can run a convolution of this kernel, stride and padding, whatever its input.
    static func allowsWinograd(kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int) -> Bool {
        kernelHeight == 3 && kernelWidth == 3 && stride == 1 && padding <= 2
    }
}

extension CPUBackend {
    /// `blockTiles` overrides the plan's block size (tests use it to cross many block boundaries cheaply).
    func conv2dWinogradForward(_ g: ConvGeometry, x: Tensor, weight: Tensor, bias: Tensor?, y: Tensor,
                               blockTiles: Int? = nil) throws {
        let filters = try winogradFilters(weight.hostPointer, outChannels: g.outChannels, inChannels: g.inChannels,
                                          forInputGradient: false)
        try winogradConvolve(x.hostPointer, batch: g.batch, channels: g.inChannels, height: g.height, width: g.width,
                             padding: g.padding, filters: filters.pointer, outChannels: g.outChannels,
                             bias: bias.map { UnsafePointer($0.hostPointer) }, into: y.hostPointer, blockTiles: blockTiles)
    }

    func conv2dWinogradBackwardInput(_ g: ConvGeometry, dy: Tensor, weight: Tensor, dx: Tensor,
                                     blockTiles: Int? = nil) throws {
        let filters = try winogradFilters(weight.hostPointer, outChannels: g.outChannels, inChannels: g.inChannels,
                                          forInputGradient: true)
        try winogradConvolve(dy.hostPointer, batch: g.batch, channels: g.outChannels, height: g.outHeight,
                             width: g.outWidth, padding: 2 - g.padding, filters: filters.pointer,
                             outChannels: g.inChannels, bias: nil, into: dx.hostPointer, blockTiles: blockTiles)
    }

    /// U [36][R][K]: U_ξ[r][k] is entry ξ of G g Gᵀ for the filter g from input channel k to output channel r. For
    /// the forward pass R = O, K = C and g = w[r][k]; for the input gradient R = C, K = O and g = w[k][r] rotated 180°.
    private func winogradFilters(_ w: UnsafePointer<Float>, outChannels: Int, inChannels: Int,
                                 forInputGradient: Bool) throws -> HostBuffer {
        let (rows, columns) = forInputGradient ? (inChannels, outChannels) : (outChannels, inChannels)
        let filters = try HostBuffer(count: 36 * rows * columns, for: "Winograd filters")
        let u = filters.pointer
        parallelFor(rows, grain: 1, work: rows * columns * 64) { range in
            for r in range {
                // Eight filters at a time, one per lane: k0 ..< k0 + lanes.
                for k0 in stride(from: 0, to: columns, by: 8) {
                    let lanes = min(8, columns - k0)
                    var taps = [SIMD8<Float>](repeating: .zero, count: 9)
                    for lane in 0..<lanes {
                        let k = k0 + lane
                        let source = forInputGradient ? w + (k * inChannels + r) * 9 : w + (r * inChannels + k) * 9
                        for t in 0..<9 { taps[t][lane] = forInputGradient ? source[8 - t] : source[t] }
                    }
                    let transformed = winogradFilterTransform(taps)
                    for xi in 0..<36 {
                        let target = u + (xi * rows + r) * columns + k0
                        for lane in 0..<lanes { target[lane] = transformed[xi][lane] }
                    }
                }
            }
        }
        return filters
    }

    /// y [N, O, OH, OW] (plus bias[o]) = the stride-1 3×3 convolution with padding p of x [N, C, H, W] with the
    /// transformed filters U [36][O][C]; OH = H + 2p − 2, OW = W + 2p − 2.
    private func winogradConvolve(_ x: UnsafePointer<Float>, batch: Int, channels: Int, height: Int, width: Int,
                                  padding p: Int, filters u: UnsafePointer<Float>, outChannels: Int,
                                  bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>,
                                  blockTiles requested: Int?) throws {
        let plan = Winograd4Plan(batch: batch, channels: channels, height: height, width: width, padding: p,
                                 outChannels: outChannels, blockTiles: requested)
        let (outHeight, outWidth, tilesY, tilesX) = (plan.outHeight, plan.outWidth, plan.tilesY, plan.tilesX)
        let (rowsPerBlock, blockTiles, tileRows) = (plan.rowsPerBlock, plan.blockTiles, plan.tileRows)
        let ranges = coreRanges(plan.blocks, grain: 1)
        let scratch = try HostBuffer(count: ranges.count * plan.perCore, for: "Winograd scratch")
        let (kernels, inPlane, outPlane) = (self.kernels, height * width, outHeight * outWidth)
        parallelCallingBLAS(ranges) { slot, range in
            let v = scratch.pointer + slot * plan.perCore, m = v + plan.vCount, phases = m + plan.mCount
            for block in range {
                let firstRow = block * rowsPerBlock, lastRow = min(tileRows, firstRow + rowsPerBlock)
                let tiles = (lastRow - firstRow) * tilesX
                // V: the input windows of every tile of the block, transformed.
                for c in 0..<channels {
                    kernels.winograd4_input(x + c * inPlane, channels * inPlane, height, width, p, tilesY, tilesX,
                                            firstRow, lastRow - firstRow, v + c * blockTiles, channels * blockTiles,
                                            phases)
                }
                for xi in 0..<36 {
                    tracedSgemm("winograd forward",
                                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(outChannels), Int32(tiles),
                                Int32(channels), 1, u + xi * outChannels * channels, Int32(channels),
                                v + xi * channels * blockTiles, Int32(blockTiles), 0, m + xi * outChannels * blockTiles,
                                Int32(blockTiles))
                }
                // y: each tile's 4×4 outputs from M.
                for o in 0..<outChannels {
                    kernels.winograd4_output(m + o * blockTiles, outChannels * blockTiles, bias?[o] ?? 0,
                                             y + o * outPlane, outChannels * outPlane, outHeight, outWidth, tilesY,
                                             tilesX, firstRow, lastRow - firstRow)
                }
            }
        }
    }
}

/// U = G g Gᵀ for eight 3×3 filters, one per lane: `taps` holds their nine taps row-major, the result the 36 entries
/// ξ = 6i + j. G maps a column (a, b, c) to [a/4, −(a + b + c)/6, −(a − b + c)/6, a/24 + b/12 + c/6,
/// a/24 − b/12 + c/6, c].
private func winogradFilterTransform(_ taps: [SIMD8<Float>]) -> [SIMD8<Float>] {
    func timesG(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>) -> [SIMD8<Float>] {
        [a / 4, -(a + b + c) / 6, -(a - b + c) / 6, a / 24 + b / 12 + c / 6, a / 24 - b / 12 + c / 6, c]
    }
    let columns = (0..<3).map { j in timesG(taps[j], taps[3 + j], taps[6 + j]) }  // G g, column by column
    return (0..<6).flatMap { i in timesG(columns[0][i], columns[1][i], columns[2][i]) }
}

/// How the Winograd convolutions cut the batch's 4×4 output tiles into blocks of whole tile rows: about 2 MiB of V
/// and M (so that they stay in cache between the transforms and the GEMMs), and at least 64 tiles (so that each of
/// the 36 GEMMs is wide enough for OpenBLAS on small images, where a tile row is one or two tiles).
struct Winograd4Plan {
    let outHeight, outWidth, tilesY, tilesX, tileRows: Int
    /// Tile rows per block (V and M of a block hold about 2 MiB), tiles per block, and blocks.
    let rowsPerBlock, blockTiles, blocks: Int
    /// Floats of V [36][C][blockTiles], of M [36][O][blockTiles], and of one core's scratch: V, M and the input
    /// transform's phases.
    let vCount, mCount, perCore: Int

    /// `requested` tiles per block, when given, replace the size rule (still whole tile rows).
    init(batch: Int, channels: Int, height: Int, width: Int, padding p: Int, outChannels: Int,
         blockTiles requested: Int? = nil) {
        (outHeight, outWidth) = (height + 2 * p - 2, width + 2 * p - 2)
        (tilesY, tilesX) = ((outHeight + 3) / 4, (outWidth + 3) / 4)
        tileRows = batch * tilesY
        let across = tilesX
        rowsPerBlock = requested.map { max(1, ($0 + across - 1) / across) }
            ?? max((64 + across - 1) / across, (1 << 19) / (36 * (channels + outChannels) * across))
        blockTiles = rowsPerBlock * tilesX
        blocks = (tileRows + rowsPerBlock - 1) / rowsPerBlock
        (vCount, mCount) = (36 * channels * blockTiles, 36 * outChannels * blockTiles)
        perCore = vCount + mCount + simile_winograd4_scratch(tilesX)
    }
}

extension CPUBackend {
    /// Bytes of scratch one direction of `g` takes as Winograd: the transformed filters and each core's blocks, or
    /// the weight gradient's rounds and dU.
    func conv2dWinogradScratchBytes(_ g: ConvGeometry, _ direction: ConvDirection) -> Int {
        if direction == .backwardWeight {
            let plan = Winograd4Plan(batch: g.batch, channels: g.inChannels, height: g.height, width: g.width,
                                     padding: g.padding, outChannels: g.outChannels)
            return winogradWeightGradientScratch(g, plan) * MemoryLayout<Float>.stride
        }
        let plan = direction == .forward
            ? Winograd4Plan(batch: g.batch, channels: g.inChannels, height: g.height, width: g.width,
                            padding: g.padding, outChannels: g.outChannels)
            : Winograd4Plan(batch: g.batch, channels: g.outChannels, height: g.outHeight, width: g.outWidth,
                            padding: 2 - g.padding, outChannels: g.inChannels)
        let cores = coreRanges(plan.blocks, grain: 1).count
        return (36 * g.inChannels * g.outChannels + cores * plan.perCore) * MemoryLayout<Float>.stride
    }
}
