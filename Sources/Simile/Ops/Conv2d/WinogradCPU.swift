import CBLAS

/// Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray 2015) for 3×3, stride-1 convolutions on the CPU. Each
/// 2×2 block of an output channel (a "tile") is Aᵀ [Σ_c U_c ⊙ V_c] A with
///
///     V = Bᵀ d B   d: the tile's 4×4 input window in channel c, zero outside the image
///     U = G g Gᵀ   g: the 3×3 filter from channel c to the output channel
///
///     Bᵀ = [1  0 −1  0]    G = [1   0   0]    Aᵀ = [1  1  1  0]
///          [0  1  1  0]        [½   ½   ½]         [0  1 −1 −1]
///          [0 −1  1  0]        [½  −½   ½]
///          [0  1  0 −1]        [0   0   1]
///
/// so the 16 entries ξ of a transformed tile are 16 independent GEMMs over the P tiles of a block,
/// M_ξ [O, P] = U_ξ [O, C] · V_ξ [C, P]: 16·O·C multiply-adds per tile against the direct convolution's 36·O·C,
/// 2.25× fewer. The coefficients are 0, ±1 and ±½, so the rounding stays close to the direct convolution's
/// (the float64 tests hold both to the same bound).
///
/// Work decomposition: blocks of whole tile rows (the ⌈OW/2⌉ tiles side by side) are split over the cores. Per
/// block a core transforms its input windows into V eight tiles at a time, one SIMD lane per tile (a tile row's
/// windows are the even and odd lanes of two 16-float loads of the zero-padded input rows), runs the 16 GEMMs
/// (OpenBLAS single-threaded, see `parallelCallingBLAS`) and transforms M back into y. Blocks hold about 2 MiB
/// of V and M, so that they stay in cache between the three steps.
///
/// The input gradient of a stride-1 3×3 convolution with padding p is this convolution of dy with every filter
/// rotated by 180° and C and O swapped, with padding 2 − p.
extension ConvGeometry {
    /// Whether the forward pass and both gradients can run as Winograd F(2×2, 3×3).
    var allowsWinograd: Bool { kernelHeight == 3 && kernelWidth == 3 && stride == 1 && padding <= 2 }
}

extension CPUBackend {
    func conv2dWinogradForward(_ g: ConvGeometry, x: Tensor, weight: Tensor, bias: Tensor?, y: Tensor) throws {
        let filters = try winogradFilters(weight.hostPointer, outChannels: g.outChannels, inChannels: g.inChannels,
                                          forInputGradient: false)
        try winogradConvolve(x.hostPointer, batch: g.batch, channels: g.inChannels, height: g.height, width: g.width,
                             padding: g.padding, filters: filters.pointer, outChannels: g.outChannels,
                             bias: bias.map { UnsafePointer($0.hostPointer) }, into: y.hostPointer)
    }

    func conv2dWinogradBackwardInput(_ g: ConvGeometry, dy: Tensor, weight: Tensor, dx: Tensor) throws {
        let filters = try winogradFilters(weight.hostPointer, outChannels: g.outChannels, inChannels: g.inChannels,
                                          forInputGradient: true)
        try winogradConvolve(dy.hostPointer, batch: g.batch, channels: g.outChannels, height: g.outHeight,
                             width: g.outWidth, padding: 2 - g.padding, filters: filters.pointer,
                             outChannels: g.inChannels, bias: nil, into: dx.hostPointer)
    }

    /// U [16][R][K]: U_ξ[r][k] is entry ξ of G g Gᵀ for the filter g from input channel k to output channel r. For
    /// the forward pass R = O, K = C and g = w[r][k]; for the input gradient R = C, K = O and g = w[k][r] rotated 180°.
    private func winogradFilters(_ w: UnsafePointer<Float>, outChannels: Int, inChannels: Int,
                                 forInputGradient: Bool) throws -> HostBuffer {
        let (rows, columns) = forInputGradient ? (inChannels, outChannels) : (outChannels, inChannels)
        let filters = try HostBuffer(count: 16 * rows * columns, for: "Winograd filters")
        let u = filters.pointer
        parallelFor(rows, grain: 1) { range in
            for r in range {
                for k in 0..<columns {
                    let source = forInputGradient ? w + (k * inChannels + r) * 9 : w + (r * inChannels + k) * 9
                    func tap(_ i: Int) -> Float { forInputGradient ? source[8 - i] : source[i] }
                    // The filter's rows as vectors over its columns; t = G g row by row, then U = t Gᵀ.
                    let (g0, g1, g2) = (SIMD4(tap(0), tap(1), tap(2), 0), SIMD4(tap(3), tap(4), tap(5), 0),
                                        SIMD4(tap(6), tap(7), tap(8), 0))
                    func emit(_ i: Int, _ row: SIMD4<Float>) {
                        let entries = SIMD4(row.x, (row.x + row.y + row.z) / 2, (row.x - row.y + row.z) / 2, row.z)
                        for j in 0..<4 { u[((4 * i + j) * rows + r) * columns + k] = entries[j] }
                    }
                    emit(0, g0)
                    emit(1, (g0 + g1 + g2) / 2)
                    emit(2, (g0 - g1 + g2) / 2)
                    emit(3, g2)
                }
            }
        }
        return filters
    }

    /// y [N, O, OH, OW] (plus bias[o]) = the stride-1 3×3 convolution with padding p of x [N, C, H, W] with the
    /// transformed filters U [16][O][C]; OH = H + 2p − 2, OW = W + 2p − 2.
    private func winogradConvolve(_ x: UnsafePointer<Float>, batch: Int, channels: Int, height: Int, width: Int,
                                  padding p: Int, filters u: UnsafePointer<Float>, outChannels: Int,
                                  bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>) throws {
        let plan = WinogradPlan(batch: batch, channels: channels, height: height, width: width, padding: p,
                                outChannels: outChannels)
        let (outHeight, outWidth, tilesY, tilesX) = (plan.outHeight, plan.outWidth, plan.tilesY, plan.tilesX)
        let (chunks, rowsPerBlock, blockTiles) = (plan.chunks, plan.rowsPerBlock, plan.blockTiles)
        let (tileRows, vCount, mCount, perCore) = (plan.tileRows, plan.vCount, plan.mCount, plan.perCore)
        let ranges = coreRanges(plan.blocks, grain: 1)
        let scratch = try HostBuffer(count: ranges.count * perCore, for: "Winograd scratch")
        parallelCallingBLAS(ranges) { slot, range in
            let v = scratch.pointer + slot * perCore, m = v + vCount, rows = m + mCount
            rows.update(repeating: 0, count: 5 * plan.paddedWidth)
            for block in range {
                let firstRow = block * rowsPerBlock, lastRow = min(tileRows, firstRow + rowsPerBlock)
                let tiles = (lastRow - firstRow) * tilesX
                // V: the input windows of every tile of the block, transformed.
                for c in 0..<channels {
                    for tileRow in firstRow..<lastRow {
                        let (n, ty) = tileRow.quotientAndRemainder(dividingBy: tilesY)
                        transformWindows(x + (n * channels + c) * height * width, height: height, width: width,
                                         padding: p, tileRow: ty, plan: plan, rows: rows,
                                         into: v + c * blockTiles + (tileRow - firstRow) * tilesX,
                                         planeStride: channels * blockTiles)
                    }
                }
                for xi in 0..<16 {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(outChannels), Int32(tiles),
                                Int32(channels), 1, u + xi * outChannels * channels, Int32(channels),
                                v + xi * channels * blockTiles, Int32(blockTiles), 0, m + xi * outChannels * blockTiles,
                                Int32(blockTiles))
                }
                // y: each tile's 2×2 outputs from M.
                for o in 0..<outChannels {
                    let shift = bias?[o] ?? 0
                    for tileRow in firstRow..<lastRow {
                        let (n, ty) = tileRow.quotientAndRemainder(dividingBy: tilesY)
                        let plane = y + (n * outChannels + o) * outHeight * outWidth
                        let base = (tileRow - firstRow) * tilesX
                        for chunk in 0..<chunks {
                            let (y00, y01, y10, y11) = outputTransform(m + o * blockTiles + base + 8 * chunk,
                                                                       planeStride: outChannels * blockTiles)
                            func emit(_ a: Int, _ left: SIMD8<Float>, _ right: SIMD8<Float>) {
                                guard 2 * ty + a < outHeight else { return }
                                let line = plane + (2 * ty + a) * outWidth
                                for lane in 0..<min(8, tilesX - 8 * chunk) {
                                    let column = 2 * (8 * chunk + lane)
                                    line[column] = left[lane] + shift
                                    if column + 1 < outWidth { line[column + 1] = right[lane] + shift }
                                }
                            }
                            emit(0, y00, y01)
                            emit(1, y10, y11)
                        }
                    }
                }
            }
        }
    }
}

/// How `winogradConvolve` cuts a convolution into blocks, and the scratch each core needs.
struct WinogradPlan {
    let outHeight, outWidth, tilesY, tilesX, tileRows: Int
    /// SIMD chunks of eight tiles per tile row, and the width of a zero-padded input row they read.
    let chunks, paddedWidth: Int
    /// Tile rows per block (V and M of a block hold about 2 MiB), tiles per block, and blocks.
    let rowsPerBlock, blockTiles, blocks: Int
    /// Floats of V [16][C][blockTiles], of M [16][O][blockTiles] (+ 8: a last partial chunk reads past its
    /// tiles), and of one core's scratch: V, M, four zero-padded input rows and a row of zeros.
    let vCount, mCount, perCore: Int

    init(batch: Int, channels: Int, height: Int, width: Int, padding p: Int, outChannels: Int) {
        (outHeight, outWidth) = (height + 2 * p - 2, width + 2 * p - 2)
        (tilesY, tilesX) = ((outHeight + 1) / 2, (outWidth + 1) / 2)
        tileRows = batch * tilesY
        chunks = (tilesX + 7) / 8
        paddedWidth = 16 * chunks + 2
        rowsPerBlock = max(1, (1 << 19) / (16 * (channels + outChannels) * tilesX))
        blockTiles = rowsPerBlock * tilesX
        blocks = (tileRows + rowsPerBlock - 1) / rowsPerBlock
        (vCount, mCount) = (16 * channels * blockTiles, 16 * outChannels * blockTiles + 8)
        perCore = vCount + mCount + 5 * paddedWidth
    }
}

extension CPUBackend {
    /// Bytes of scratch one direction of `g` takes as Winograd: the transformed filters and each core's blocks, or
    /// the weight gradient's rounds and dU.
    func conv2dWinogradScratchBytes(_ g: ConvGeometry, _ direction: ConvDirection) -> Int {
        if direction == .backwardWeight {
            return WinogradWeightGradientPlan(g, cores: threads).scratchCount * MemoryLayout<Float>.stride
        }
        let plan = direction == .forward
            ? WinogradPlan(batch: g.batch, channels: g.inChannels, height: g.height, width: g.width, padding: g.padding,
                           outChannels: g.outChannels)
            : WinogradPlan(batch: g.batch, channels: g.outChannels, height: g.outHeight, width: g.outWidth,
                           padding: 2 - g.padding, outChannels: g.inChannels)
        let cores = coreRanges(plan.blocks, grain: 1).count
        return (16 * g.inChannels * g.outChannels + cores * plan.perCore) * MemoryLayout<Float>.stride
    }
}
