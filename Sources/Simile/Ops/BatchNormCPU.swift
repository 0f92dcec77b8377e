import Foundation

/// The CPU loops of batch normalisation, on x viewed as [N, C, S] (see `BatchNormLayout`).
///
/// Work is split into blocks of whole channels. Row n of a block, x[n, c0..<c1, 0..<S], is (c1 − c0)·S
/// contiguous floats ("positions"); each block makes one reduction pass and one elementwise pass over its
/// N rows, 16 positions at a time, so the second pass finds the block (N rows of ~256–1024 positions) in
/// cache. Per-channel constants are spread over position arrays, so one loop serves image planes (S = H·W)
/// and feature rows (S = 1, where lanes are channels) alike.
///
/// Statistics are sums of (x − pivot) and (x − pivot)² with pivot = the channel's first value (an offset
/// common to the channel cancels before squaring), accumulated per position in float over at most
/// `rowChunk` rows and per channel in Double across chunks.
extension CPUBackend {
    func batchNormTraining(_ x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVariance: Tensor,
                           layout: BatchNormLayout, momentum: Float, eps: Float, relu: Bool, output: Tensor,
                           statistics: BatchNormStatistics) {
        let source = x.hostPointer, destination = output.hostPointer
        let count = Double(layout.perChannel)
        forEachBlock(layout, work: 2 * x.count) { block, scratch in
            for k in 0..<block.channels.count {
                scratch.spread(0, channel: k, value: source[block.offset + k * layout.s])
            }
            let totals = block.reduce(scratch) { offset, position, lanes in
                let d = load(source + offset, lanes: lanes) - scratch.vector(0, at: position)
                return (d, d * d)
            }
            for (k, channel) in block.channels.enumerated() {
                let offset = totals[2 * k] / count
                let variance = max(totals[2 * k + 1] / count - offset * offset, 0)
                let mean = Double(scratch.value(0, channel: k)) + offset
                let inverseStd = 1 / (variance + Double(eps)).squareRoot()
                statistics.mean.hostPointer[channel] = Float(mean)
                statistics.inverseStd.hostPointer[channel] = Float(inverseStd)
                let m = Double(momentum)
                runningMean.hostPointer[channel] = Float((1 - m) * Double(runningMean.hostPointer[channel]) + m * mean)
                runningVariance.hostPointer[channel] = Float((1 - m) * Double(runningVariance.hostPointer[channel])
                                                             + m * variance * count / (count - 1))
                let scale = Double(gamma.hostPointer[channel]) * inverseStd
                scratch.spread(1, channel: k, value: Float(scale))
                scratch.spread(2, channel: k, value: Float(Double(beta.hostPointer[channel]) - offset * scale))
            }
            block.normalize(scratch, source, into: destination, relu: relu)
        }
    }

    func batchNormInference(_ x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVariance: Tensor,
                            layout: BatchNormLayout, eps: Float, relu: Bool, output: Tensor) {
        forEachBlock(layout, work: x.count) { block, scratch in
            for (k, channel) in block.channels.enumerated() {
                scratch.spread(0, channel: k, value: runningMean.hostPointer[channel])
                scratch.spread(1, channel: k, value: gamma.hostPointer[channel]
                                   / (runningVariance.hostPointer[channel] + eps).squareRoot())
                scratch.spread(2, channel: k, value: beta.hostPointer[channel])
            }
            block.normalize(scratch, x.hostPointer, into: output.hostPointer, relu: relu)
        }
    }

    func batchNormBackward(_ dy: Tensor, input x: Tensor, output: Tensor?, statistics: BatchNormStatistics,
                           gamma: Tensor, layout: BatchNormLayout, dx: Tensor, dgamma: Tensor, dbeta: Tensor) {
        let upstream = dy.hostPointer, source = x.hostPointer, forward = output?.hostPointer
        let destination = dx.hostPointer
        let count = Double(layout.perChannel)
        /// dy, zeroed where the fused ReLU's output is ≤ 0.
        @inline(__always)
        func gradient(_ offset: Int, _ lanes: Int) -> SIMD16<Float> {
            let g = load(upstream + offset, lanes: lanes)
            guard let forward else { return g }
            return g.replacing(with: 0, where: load(forward + offset, lanes: lanes) .<= 0)
        }
        forEachBlock(layout, work: 3 * x.count) { block, scratch in
            for (k, channel) in block.channels.enumerated() {
                scratch.spread(0, channel: k, value: statistics.mean.hostPointer[channel])
            }
            let totals = block.reduce(scratch) { offset, position, lanes in
                let g = gradient(offset, lanes)
                return (g, g * (load(source + offset, lanes: lanes) - scratch.vector(0, at: position)))
            }
            // dx = a·g + b·(x − mean) + d, with a = γ/σ, b = −a·dγ/(σM), d = −a·dβ/M.
            for (k, channel) in block.channels.enumerated() {
                let inverseStd = Double(statistics.inverseStd.hostPointer[channel])
                let gradientBeta = totals[2 * k], gradientGamma = totals[2 * k + 1] * inverseStd
                dbeta.hostPointer[channel] = Float(gradientBeta)
                dgamma.hostPointer[channel] = Float(gradientGamma)
                let a = Double(gamma.hostPointer[channel]) * inverseStd
                scratch.spread(1, channel: k, value: Float(a))
                scratch.spread(2, channel: k, value: Float(-a * inverseStd * gradientGamma / count))
                scratch.spread(3, channel: k, value: Float(-a * gradientBeta / count))
            }
            block.forEachVector { offset, position, lanes in
                let centred = load(source + offset, lanes: lanes) - scratch.vector(0, at: position)
                let value = scratch.vector(1, at: position) * gradient(offset, lanes)
                    + scratch.vector(2, at: position) * centred + scratch.vector(3, at: position)
                store(value, destination + offset, lanes: lanes)
            }
        }
    }

    /// Runs `body` on every channel block of `layout`, blocks split over cores, each with its own scratch.
    private func forEachBlock(_ layout: BatchNormLayout, work: Int, _ body: (ChannelBlock, BlockScratch) -> Void) {
        let channelsPerBlock = min(layout.c, max(1, (ChannelBlock.targetPositions + layout.s - 1) / layout.s))
        guard channelsPerBlock > 0 else { return }
        let blocks = (layout.c + channelsPerBlock - 1) / channelsPerBlock
        parallelFor(blocks, work: work) { range in
            for index in range {
                let first = index * channelsPerBlock
                let block = ChannelBlock(layout: layout, channels: first..<min(layout.c, first + channelsPerBlock))
                BlockScratch.with(positions: block.positions, s: layout.s) { body(block, $0) }
            }
        }
    }
}

/// The channels `channels` of x viewed as [N, C, S]: N rows of `positions` contiguous floats.
private struct ChannelBlock {
    /// Blocks span at least this many positions (whole channels), so rows are long contiguous runs.
    static let targetPositions = 256
    /// The reduction sums at most this many rows in float before adding to the Double totals.
    static let rowChunk = 64

    let layout: BatchNormLayout
    let channels: Range<Int>

    var positions: Int { channels.count * layout.s }
    /// Flat offset of the block's first value in row 0.
    var offset: Int { channels.lowerBound * layout.s }

    /// Calls `body(offset, position, lanes)` for every group of 16 positions (`lanes` < 16 in a row's last
    /// group) of every row, rows in order.
    @inline(__always)
    func forEachVector(_ rows: Range<Int>? = nil, _ body: (Int, Int, Int) -> Void) {
        for row in rows ?? 0..<layout.n {
            let rowOffset = row * layout.c * layout.s + offset
            var position = 0
            while position < positions {
                body(rowOffset + position, position, min(16, positions - position))
                position += 16
            }
        }
    }

    /// Per-channel sums over all rows of the two terms `terms(offset, position, lanes)` gives for each group
    /// of positions: [first₀, second₀, first₁, second₁, …] in Double. Lanes past a row's end are ignored.
    @inline(__always)
    func reduce(_ scratch: BlockScratch, _ terms: (Int, Int, Int) -> (SIMD16<Float>, SIMD16<Float>)) -> [Double] {
        var totals = [Double](repeating: 0, count: 2 * channels.count)
        let first = scratch.accumulator(0), second = scratch.accumulator(1)
        for chunk in stride(from: 0, to: layout.n, by: Self.rowChunk) {
            first.update(repeating: 0, count: scratch.paddedPositions)
            second.update(repeating: 0, count: scratch.paddedPositions)
            forEachVector(chunk..<min(layout.n, chunk + Self.rowChunk)) { offset, position, lanes in
                let (a, b) = terms(offset, position, lanes)
                store(load(first + position) + a, first + position)
                store(load(second + position) + b, second + position)
            }
            for k in 0..<channels.count {
                totals[2 * k] += Double(contiguousSum(first + k * layout.s, count: layout.s))
                totals[2 * k + 1] += Double(contiguousSum(second + k * layout.s, count: layout.s))
            }
        }
        return totals
    }

    /// out = (x − centre) · scale + shift (scratch constants 0, 1 and 2), then max(0, ·) when `relu`; NaN
    /// propagates. Subtracting a centre near the values first (the pivot in training, the running mean in
    /// eval) keeps a large common offset from cancelling in float.
    @inline(__always)
    func normalize(_ scratch: BlockScratch, _ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                   relu: Bool) {
        forEachVector { offset, position, lanes in
            var value = (load(x + offset, lanes: lanes) - scratch.vector(0, at: position)) * scratch.vector(1, at: position)
                + scratch.vector(2, at: position)
            if relu { value.replace(with: 0, where: value .< 0) }
            store(value, out + offset, lanes: lanes)
        }
    }
}

/// A block's working memory: four per-position constant arrays and two accumulators, each padded to a
/// multiple of 16 so that whole-vector loads never leave it.
private struct BlockScratch {
    let base: UnsafeMutablePointer<Float>
    let paddedPositions: Int
    let s: Int

    static func with(positions: Int, s: Int, _ body: (BlockScratch) -> Void) {
        let padded = (positions + 15) / 16 * 16
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 6 * padded) { buffer in
            body(BlockScratch(base: buffer.baseAddress!, paddedPositions: padded, s: s))
        }
    }

    /// Sets constant array `index` to `value` over channel k's positions.
    func spread(_ index: Int, channel k: Int, value: Float) {
        (base + index * paddedPositions + k * s).update(repeating: value, count: s)
    }

    func value(_ index: Int, channel k: Int) -> Float { base[index * paddedPositions + k * s] }

    @inline(__always)
    func vector(_ index: Int, at position: Int) -> SIMD16<Float> { load(base + index * paddedPositions + position) }

    func accumulator(_ index: Int) -> UnsafeMutablePointer<Float> { base + (4 + index) * paddedPositions }
}

@inline(__always)
private func load(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
private func store(_ value: SIMD16<Float>, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD16<Float>.self)
}

/// The first `lanes` floats at `pointer`, zero-filled to 16.
@inline(__always)
private func load(_ pointer: UnsafePointer<Float>, lanes: Int) -> SIMD16<Float> {
    if lanes == 16 { return load(pointer) }
    var value = SIMD16<Float>()
    for lane in 0..<lanes { value[lane] = pointer[lane] }
    return value
}

/// Stores the first `lanes` lanes of `value` at `pointer`.
@inline(__always)
private func store(_ value: SIMD16<Float>, _ pointer: UnsafeMutablePointer<Float>, lanes: Int) {
    if lanes == 16 { return store(value, pointer) }
    for lane in 0..<lanes { pointer[lane] = value[lane] }
}
