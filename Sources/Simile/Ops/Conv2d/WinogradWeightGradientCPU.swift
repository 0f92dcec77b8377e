import CBLAS
import CPUKernels

/// The weight gradient of a 3×3, stride-1 convolution as Winograd F(4×4, 3×3): the adjoint of the forward pass
/// (WinogradCPU.swift has the matrices), which makes tile t of output channel o as Aᵀ [Σ_c U_oc ⊙ V_tc] A with
/// U_oc = G w_oc Gᵀ, so
///
///     dM_to = A dy_to Aᵀ                 dy_to: the tile's 4×4 block of dy, zero where it leaves the output
///     dU_oc,ξ = Σ_t dM_to,ξ · V_tc,ξ     36 GEMMs [O, T] · [C, T]ᵀ, reducing over every tile of the batch
///     dw_oc = Gᵀ dU_oc G
///
/// 36·O·C multiply-adds per tile of 16 outputs against the direct path's 144·O·C, and GEMMs whose long dimension
/// is the reduction, which OpenBLAS runs near its peak. Rounding: as the forward pass's (measured within 2e-6 of the
/// largest Σ|dy||x|; the tests hold it to 5e-6).
///
/// Work decomposition: the tiles go in rounds of one forward-pass block (Winograd4Plan) per core. In a round the
/// cores transform the round's input windows into V and its dy blocks into dM (the C kernels `winograd4_input` and
/// `winograd4_output_gradient`, which gather across tile rows on images narrower than a vector of tiles), side by side in
/// one [36][C or O][round] layout; then the 36 GEMMs of the round are split over the cores by ξ (each core
/// accumulates into its own dU_ξ, so no partial sums are needed), OpenBLAS single-threaded.
extension CPUBackend {
    /// `blockTiles` overrides the plan's block size (tests use it to cross many round boundaries cheaply).
    func conv2dWinogradBackwardWeight(_ g: ConvGeometry, dy: Tensor, x: Tensor, dw: Tensor,
                                      blockTiles: Int? = nil) throws {
        let plan = Winograd4Plan(batch: g.batch, channels: g.inChannels, height: g.height, width: g.width,
                                 padding: g.padding, outChannels: g.outChannels, blockTiles: blockTiles)
        let (c, o, roundRows) = (g.inChannels, g.outChannels, winogradRoundRows(plan))
        let round = roundRows * plan.tilesX
        let scratch = try HostBuffer(count: winogradWeightGradientScratch(g, plan),
                                     for: "Winograd weight-gradient scratch")
        let v = scratch.pointer, dm = v + 36 * c * round, du = dm + 36 * o * round
        let (input, upstream) = (UnsafePointer(x.hostPointer), UnsafePointer(dy.hostPointer))
        let frequencies = coreRanges(36, grain: 1)
        for first in stride(from: 0, to: plan.tileRows, by: roundRows) {
            let rowCount = min(roundRows, plan.tileRows - first)
            parallelFor(rowCount, work: .max) { range in
                transformRound(g, plan, x: input, dy: upstream, tileRows: range.lowerBound + first..<range.upperBound + first,
                               first: first, v: v, dm: dm, roundTiles: round)
            }
            let tiles = rowCount * plan.tilesX
            parallelCallingBLAS(frequencies) { _, xis in
                for xi in xis {
                    tracedSgemm("winograd backward weight",
                                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(o), Int32(c), Int32(tiles), 1,
                                dm + xi * o * round, Int32(round), v + xi * c * round, Int32(round),
                                first == 0 ? 0 : 1, du + xi * o * c, Int32(c))
                }
            }
        }
        let filters = dw.hostPointer
        parallelFor(o * c, grain: 8, work: o * c * 64) { range in
            for first in stride(from: range.lowerBound, to: range.upperBound, by: 8) {
                filterGradients(du + first, stride: o * c, lanes: min(8, range.upperBound - first),
                                into: filters + 9 * first)
            }
        }
    }

    /// Tile rows per round: one block per core.
    private func winogradRoundRows(_ plan: Winograd4Plan) -> Int { plan.rowsPerBlock * max(1, min(threads, plan.blocks)) }

    /// Floats of scratch: V [36][C][round], dM [36][O][round] and dU [36][O][C].
    func winogradWeightGradientScratch(_ g: ConvGeometry, _ plan: Winograd4Plan) -> Int {
        36 * ((g.inChannels + g.outChannels) * winogradRoundRows(plan) * plan.tilesX + g.outChannels * g.inChannels)
    }

    /// V and dM of `tileRows` (counted over the batch) into columns (row − first)·tilesX + … of
    /// V [36][C][roundTiles] and dM [36][O][roundTiles].
    private func transformRound(_ g: ConvGeometry, _ plan: Winograd4Plan, x: UnsafePointer<Float>,
                                dy: UnsafePointer<Float>, tileRows: Range<Int>, first: Int,
                                v: UnsafeMutablePointer<Float>, dm: UnsafeMutablePointer<Float>, roundTiles: Int) {
        let (c, o, tilesX) = (g.inChannels, g.outChannels, plan.tilesX)
        let kernels = self.kernels
        withUnsafeTemporaryAllocation(of: Float.self, capacity: simile_winograd4_scratch(tilesX)) { buffer in
            let phases = buffer.baseAddress!
            let (planeSize, column) = (g.height * g.width, (tileRows.lowerBound - first) * tilesX)
            for channel in 0..<c {
                kernels.winograd4_input(x + channel * planeSize, c * planeSize, g.height, g.width, g.padding,
                                        plan.tilesY, tilesX, tileRows.lowerBound, tileRows.count,
                                        v + channel * roundTiles + column, c * roundTiles, phases)
            }
            for out in 0..<o {
                kernels.winograd4_output_gradient(dy + out * g.outSpatial, o * g.outSpatial, g.outHeight, g.outWidth,
                                                  plan.tilesY, tilesX, tileRows.lowerBound, tileRows.count,
                                                  dm + out * roundTiles + column, o * roundTiles, phases)
            }
        }
    }
}

/// Gᵀ u G, the adjoint of the filter transform U = G g Gᵀ, for `lanes` (≤ 8) consecutive filters, one per lane: the
/// 3×3 filter gradients from the 6×6 gradients `u` of their transformed filters (entry ξ = 6i + j of filter l at
/// `u` + ξ·stride + l), written row-major, filter after filter, into `out`. Gᵀ maps six values t to
/// [t0/4 − (t1 + t2)/6 + (t3 + t4)/24, (t2 − t1)/6 + (t3 − t4)/12, (t3 + t4 − t1 − t2)/6 + t5].
private func filterGradients(_ u: UnsafePointer<Float>, stride: Int, lanes: Int, into out: UnsafeMutablePointer<Float>) {
    func timesGT(_ t: (Int) -> SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        (t(0) / 4 - (t(1) + t(2)) / 6 + (t(3) + t(4)) / 24, (t(2) - t(1)) / 6 + (t(3) - t(4)) / 12,
         (t(3) + t(4) - t(1) - t(2)) / 6 + t(5))
    }
    func entry(_ xi: Int) -> SIMD8<Float> {
        if lanes == 8 { return UnsafeRawPointer(u + xi * stride).loadUnaligned(as: SIMD8<Float>.self) }
        var values = SIMD8<Float>()
        for lane in 0..<lanes { values[lane] = u[xi * stride + lane] }
        return values
    }
    // Row i of u times G, then Gᵀ down the three columns.
    let rows = (0..<6).map { i in timesGT { entry(6 * i + $0) } }
    let columns = [timesGT { rows[$0].0 }, timesGT { rows[$0].1 }, timesGT { rows[$0].2 }]
    for lane in 0..<lanes {
        for j in 0..<3 {
            out[9 * lane + j] = columns[j].0[lane]
            out[9 * lane + 3 + j] = columns[j].1[lane]
            out[9 * lane + 6 + j] = columns[j].2[lane]
        }
    }
}
