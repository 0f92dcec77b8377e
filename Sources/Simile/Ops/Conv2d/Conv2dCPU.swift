import CBLAS
import CPUKernels

/// The CPU convolution: each tile of im2col columns (Im2col.swift) is built in a per-core scratch buffer
/// that stays in cache and fed to one `cblas_sgemm`; tiles are split over the cores, OpenBLAS single-threaded
/// meanwhile (see `parallelCallingBLAS`). With K = C·KH·KW and T the tile's columns:
/// - forward:         Y_tile [O, T] = W [O, K] · col [K, T], bias added in the pass that stores Y;
/// - input gradient:  dcol [K, T] = Wᵀ · dY_tile [O, T], then col2im adds dcol into dx;
/// - weight gradient: dW [O, K] += dY_tile · colᵀ, one partial dW per core, summed at the end.
/// A pointwise (1×1, stride 1, unpadded) convolution uses x and dx as the im2col matrix, without copies.
/// A tile inside one image reads and writes y, dy (and a pointwise x, dx) in place; a tile of several
/// small images gathers them into scratch first.
extension CPUBackend {
    /// The im2col scratch of one core, in bytes (a multiple of K floats): large enough for a GEMM to run
    /// near peak, small enough to stay in its L2 cache.
    private static let tileBytes = 1 << 19
    /// Tiles have at least this many columns, so that OpenBLAS's packing of W is spread over enough work.
    private static let minTileColumns = 256

    private func tiling(_ g: ConvGeometry) -> ConvTiling {
        ConvTiling(g, maxColumns: max(Self.minTileColumns, Self.tileBytes / (g.patch * MemoryLayout<Float>.stride)))
    }

    /// Floats of scratch one core needs: an im2col tile (K × T) and an O × T tile of y or dy.
    private func scratchPerCore(_ g: ConvGeometry, _ tiling: ConvTiling) -> Int {
        (g.patch + g.outChannels) * tiling.maxColumns
    }

    func conv2dScratchBytes(_ g: ConvGeometry, _ direction: ConvDirection) -> Int {
        let tiling = tiling(g)
        let cores = coreRanges(tiling.count, grain: direction == .backwardInput ? tiling.tilesPerImage : 1).count
        let partials = direction == .backwardWeight ? (cores - 1) * g.outChannels * g.patch : 0
        return (cores * scratchPerCore(g, tiling) + partials) * MemoryLayout<Float>.stride
    }

    func conv2dForward(_ g: ConvGeometry, x: Tensor, weight: Tensor, bias: Tensor?, y: Tensor) throws {
        let tiling = tiling(g), ranges = coreRanges(tiling.count, grain: 1)
        let perCore = scratchPerCore(g, tiling), scratch = try HostBuffer(count: ranges.count * perCore)
        let input = BatchedMatrix(base: x.hostPointer, rows: g.inChannels, spatial: g.height * g.width)
        let output = BatchedMatrix(base: y.hostPointer, rows: g.outChannels, spatial: g.outSpatial)
        let w = weight.hostPointer, b = bias.map { UnsafePointer($0.hostPointer) }
        parallelCallingBLAS(ranges) { slot, range in
            let columns = scratch.pointer + slot * perCore, outTile = columns + g.patch * tiling.maxColumns
            for index in range {
                let tile = tiling.tile(index)
                let (col, ldCol) = g.columns(of: x.hostPointer, input, tile, scratch: columns, kernels: kernels)
                let direct = output.view(tile)
                let (out, ldOut) = direct.map { ($0, g.outSpatial) } ?? (outTile, tile.columns)
                tracedSgemm("conv2d forward",
                            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(g.outChannels), Int32(tile.columns),
                            Int32(g.patch), 1, w, Int32(g.patch), col, Int32(ldCol), 0, out, Int32(ldOut))
                if direct == nil {
                    output.scatter(outTile, tile, bias: b)
                } else if let b {
                    addRowBias(b, to: out, rows: g.outChannels, columns: tile.columns, ld: ldOut)
                }
            }
        }
    }

    func conv2dBackwardInput(_ g: ConvGeometry, dy: Tensor, weight: Tensor, dx: Tensor) throws {
        let tiling = tiling(g), ranges = coreRanges(tiling.count, grain: tiling.tilesPerImage)
        let perCore = scratchPerCore(g, tiling), scratch = try HostBuffer(count: ranges.count * perCore)
        let upstream = BatchedMatrix(base: dy.hostPointer, rows: g.outChannels, spatial: g.outSpatial)
        let gradient = BatchedMatrix(base: dx.hostPointer, rows: g.inChannels, spatial: g.height * g.width)
        let w = weight.hostPointer, imageSize = g.inChannels * g.height * g.width
        parallelCallingBLAS(ranges) { slot, range in
            let columns = scratch.pointer + slot * perCore, dyTile = columns + g.patch * tiling.maxColumns
            let images = tiling.images(range)
            if !g.isPointwise {
                (dx.hostPointer + images.lowerBound * imageSize).update(repeating: 0, count: images.count * imageSize)
            }
            for index in range {
                let tile = tiling.tile(index)
                let (dyMatrix, ldDy) = upstream.columns(tile, scratch: dyTile)
                let direct = g.isPointwise ? gradient.view(tile) : nil
                let (dcol, ldCol) = direct.map { ($0, g.height * g.width) } ?? (columns, tile.columns)
                tracedSgemm("conv2d backward input",
                            CblasRowMajor, CblasTrans, CblasNoTrans, Int32(g.patch), Int32(tile.columns),
                            Int32(g.outChannels), 1, w, Int32(g.patch), dyMatrix, Int32(ldDy), 0, dcol, Int32(ldCol))
                if g.isPointwise {
                    if direct == nil { gradient.scatter(columns, tile, bias: nil) }
                } else {
                    g.col2imAdd(columns, tile, into: dx.hostPointer, kernels: kernels)
                }
            }
        }
    }

    func conv2dBackwardWeight(_ g: ConvGeometry, dy: Tensor, x: Tensor, dw: Tensor) throws {
        let tiling = tiling(g), ranges = coreRanges(tiling.count, grain: 1)
        let perCore = scratchPerCore(g, tiling), weightSize = g.outChannels * g.patch
        let scratch = try HostBuffer(count: ranges.count * perCore + (ranges.count - 1) * weightSize)
        let partials = scratch.pointer + ranges.count * perCore
        let input = BatchedMatrix(base: x.hostPointer, rows: g.inChannels, spatial: g.height * g.width)
        let upstream = BatchedMatrix(base: dy.hostPointer, rows: g.outChannels, spatial: g.outSpatial)
        parallelCallingBLAS(ranges) { slot, range in
            let columns = scratch.pointer + slot * perCore, dyTile = columns + g.patch * tiling.maxColumns
            let partial = slot == 0 ? dw.hostPointer : partials + (slot - 1) * weightSize
            for index in range {
                let tile = tiling.tile(index)
                let (col, ldCol) = g.columns(of: x.hostPointer, input, tile, scratch: columns, kernels: kernels)
                let (dyMatrix, ldDy) = upstream.columns(tile, scratch: dyTile)
                tracedSgemm("conv2d backward weight",
                            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(g.outChannels), Int32(g.patch),
                            Int32(tile.columns), 1, dyMatrix, Int32(ldDy), col, Int32(ldCol),
                            index == range.lowerBound ? 0 : 1, partial, Int32(g.patch))
            }
        }
        for slot in 1..<ranges.count {
            cblas_saxpy(Int32(weightSize), 1, partials + (slot - 1) * weightSize, 1, dw.hostPointer, 1)
        }
    }
}

extension BatchedMatrix {
    /// The tile's columns and their leading dimension: in place when possible, else gathered into `scratch`.
    func columns(_ tile: ConvTile, scratch: UnsafeMutablePointer<Float>) -> (UnsafePointer<Float>, Int) {
        if let direct = view(tile) { return (UnsafePointer(direct), spatial) }
        gather(tile, into: scratch)
        return (UnsafePointer(scratch), tile.columns)
    }
}

extension ConvGeometry {
    /// The tile's im2col columns of x and their leading dimension: x itself for a pointwise convolution
    /// (`input` is x as a batched matrix), else built in `scratch`.
    func columns(of x: UnsafePointer<Float>, _ input: BatchedMatrix, _ tile: ConvTile,
                 scratch: UnsafeMutablePointer<Float>, kernels: simile_cpu_kernels) -> (UnsafePointer<Float>, Int) {
        if isPointwise { return input.columns(tile, scratch: scratch) }
        im2col(x, tile, into: scratch, kernels: kernels)
        return (UnsafePointer(scratch), tile.columns)
    }
}
