import CBLAS

/// The weight gradient of a 3×3, stride-1 convolution as Winograd F(2×2, 3×3): the adjoint of that algorithm's
/// forward pass, which makes tile t (a 2×2 block) of output channel o as Aᵀ [Σ_c U_oc ⊙ V_tc] A with
///
///     V = Bᵀ d B   d: the tile's 4×4 input window in channel c, zero outside the image
///     U = G g Gᵀ   g: the 3×3 filter from channel c to output channel o
///
///     Bᵀ = [1  0 −1  0]    G = [1   0   0]    Aᵀ = [1  1  1  0]
///          [0  1  1  0]        [½   ½   ½]         [0  1 −1 −1]
///          [0 −1  1  0]        [½  −½   ½]
///          [0  1  0 −1]        [0   0   1]
///
/// (the forward pass and input gradient use F(4×4, 3×3), WinogradCPU.swift). So
///
///     dM_to = A dy_to Aᵀ                 dy_to: the tile's 2×2 block of dy, zero where it leaves the output
///     dU_oc,ξ = Σ_t dM_to,ξ · V_tc,ξ     16 GEMMs [O, T] · [C, T]ᵀ, reducing over every tile of the batch
///     dw_oc = Gᵀ dU_oc G
///
/// 16·O·C multiply-adds per tile against the direct path's 36·O·C, and GEMMs whose long dimension is the
/// reduction, which OpenBLAS runs near its peak. The coefficients are 0, ±1 and ±½, so the rounding stays close to
/// the direct path's (the tests hold it to 2e-7 of the largest Σ|dy||x|).
///
/// Work decomposition: the tiles go in rounds of one Winograd2Plan block per core. In a round each core transforms
/// its block's input windows into V and its dy blocks into dM (WinogradTransforms.swift), side by side in one
/// [16][C or O][round] layout; then the 16 GEMMs of the round are split over the cores by ξ (each core accumulates
/// into its own dU_ξ, so no partial sums are needed), OpenBLAS single-threaded.
extension CPUBackend {
    func conv2dWinogradBackwardWeight(_ g: ConvGeometry, dy: Tensor, x: Tensor, dw: Tensor) throws {
        let plan = WinogradWeightGradientPlan(g, cores: threads)
        let (c, o, round) = (g.inChannels, g.outChannels, plan.roundTiles)
        let block = plan.block
        let scratch = try HostBuffer(count: plan.scratchCount, for: "Winograd weight-gradient scratch")
        let v = scratch.pointer, dm = v + 16 * c * round, du = dm + 16 * o * round
        let (input, upstream) = (UnsafePointer(x.hostPointer), UnsafePointer(dy.hostPointer))
        let frequencies = coreRanges(16, grain: 1)
        for first in stride(from: 0, to: block.tileRows, by: plan.roundRows) {
            let rowCount = min(plan.roundRows, block.tileRows - first)
            parallelFor(rowCount, grain: block.rowsPerBlock, work: .max) { range in
                transformRound(g, block, x: input, dy: upstream, tileRows: range, first: first,
                               v: v, dm: dm, roundTiles: round)
            }
            let tiles = rowCount * block.tilesX
            parallelCallingBLAS(frequencies) { _, xis in
                for xi in xis {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(o), Int32(c), Int32(tiles), 1,
                                dm + xi * o * round, Int32(round), v + xi * c * round, Int32(round),
                                first == 0 ? 0 : 1, du + xi * o * c, Int32(c))
                }
            }
        }
        let filters = dw.hostPointer
        parallelFor(o * c, work: o * c * 64) { range in
            for filter in range { filterGradientTransform(du + filter, stride: o * c, into: filters + 9 * filter) }
        }
    }

    /// V and dM of tile rows `first` + `tileRows` (tile rows count over the batch), into columns
    /// (row − first)·tilesX + … of V [16][C][roundTiles] and dM [16][O][roundTiles].
    private func transformRound(_ g: ConvGeometry, _ plan: Winograd2Plan, x: UnsafePointer<Float>,
                                dy: UnsafePointer<Float>, tileRows: Range<Int>, first: Int,
                                v: UnsafeMutablePointer<Float>, dm: UnsafeMutablePointer<Float>, roundTiles: Int) {
        let (c, o, width) = (g.inChannels, g.outChannels, plan.paddedWidth)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 7 * width) { buffer in
            let rows = buffer.baseAddress!
            rows.update(repeating: 0, count: 7 * width)
            let (upper, lower) = (rows + 5 * width, rows + 6 * width)
            for tileRow in tileRows.lowerBound + first..<tileRows.upperBound + first {
                let (n, ty) = tileRow.quotientAndRemainder(dividingBy: plan.tilesY)
                let column = (tileRow - first) * plan.tilesX
                for channel in 0..<c {
                    transformWindows(x + (n * c + channel) * g.height * g.width, height: g.height, width: g.width,
                                     padding: g.padding, tileRow: ty, plan: plan, rows: rows,
                                     into: v + channel * roundTiles + column, planeStride: c * roundTiles)
                }
                let hasLower = 2 * ty + 1 < g.outHeight
                if !hasLower { lower.update(repeating: 0, count: g.outWidth) }
                for out in 0..<o {
                    let plane = dy + (n * o + out) * g.outSpatial + 2 * ty * g.outWidth
                    upper.update(from: plane, count: g.outWidth)
                    if hasLower { lower.update(from: plane + g.outWidth, count: g.outWidth) }
                    for chunk in 0..<plan.chunks {
                        outputGradientTransform(upper, lower, at: 16 * chunk, into: dm + out * roundTiles + column + 8 * chunk,
                                                planeStride: o * roundTiles, lanes: min(8, plan.tilesX - 8 * chunk))
                    }
                }
            }
        }
    }
}

/// How the Winograd weight gradient cuts the batch's tiles into rounds: a round is one forward-pass block
/// (about 2 MiB of V and dM) per core.
struct WinogradWeightGradientPlan {
    let block: Winograd2Plan
    /// Tile rows and tiles per round.
    let roundRows, roundTiles: Int
    /// Floats of scratch: V [16][C][roundTiles], dM [16][O][roundTiles] and dU [16][O][C].
    let scratchCount: Int

    init(_ g: ConvGeometry, cores: Int) {
        block = Winograd2Plan(batch: g.batch, channels: g.inChannels, height: g.height, width: g.width,
                             padding: g.padding, outChannels: g.outChannels)
        roundRows = block.rowsPerBlock * max(1, min(cores, block.blocks))
        roundTiles = roundRows * block.tilesX
        scratchCount = 16 * (g.inChannels + g.outChannels) * roundTiles + 16 * g.outChannels * g.inChannels
    }
}

/// How the weight gradient's F(2×2, 3×3) tiles are cut into blocks of whole tile rows.
struct Winograd2Plan {
    let outHeight, outWidth, tilesY, tilesX, tileRows: Int
    /// SIMD chunks of eight tiles per tile row, and the width of a zero-padded input row they read.
    let chunks, paddedWidth: Int
    /// Tile rows per block (V and dM of a block hold about 2 MiB), and blocks.
    let rowsPerBlock, blocks: Int

    init(batch: Int, channels: Int, height: Int, width: Int, padding p: Int, outChannels: Int) {
        (outHeight, outWidth) = (height + 2 * p - 2, width + 2 * p - 2)
        (tilesY, tilesX) = ((outHeight + 1) / 2, (outWidth + 1) / 2)
        tileRows = batch * tilesY
        chunks = (tilesX + 7) / 8
        paddedWidth = 16 * chunks + 2
        rowsPerBlock = max(1, (1 << 19) / (16 * (channels + outChannels) * tilesX))
        blocks = (tileRows + rowsPerBlock - 1) / rowsPerBlock
    }
}
