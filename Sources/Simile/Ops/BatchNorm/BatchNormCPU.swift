import Foundation

/// The CPU loops of batch normalisation, on x viewed as [N, C, S] (see `BatchNormLayout`).
///
/// Every op is one reduction pass and one elementwise pass, each streaming through memory in order (measured
/// 3–10× faster here than walking one channel's planes at a time to reuse the cache). Two loop shapes:
/// - planes (S > 1): work is split over the N·C planes; each plane is S contiguous floats of one channel,
///   walked 16 at a time with the channel's constants broadcast;
/// - rows (S = 1, [N, C]): work is split over the N rows; lanes are channels, constants are loaded per lane.
/// Reductions sum in float lanes over a plane (or over at most `rowChunk` rows) and in Double beyond.
///
/// Statistics are sums of (x − pivot) and (x − pivot)² with pivot = the channel's first value: an offset
/// common to the channel cancels before squaring.
extension CPUBackend {
    func batchNormTraining(_ x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVariance: Tensor,
                           layout: BatchNormLayout, momentum: Float, eps: Float, residual: Tensor?, relu: Bool,
                           output: Tensor, statistics: BatchNormStatistics) {
        let source = x.hostPointer, count = Double(layout.perChannel), m = Double(momentum)
        ChannelTable.with(layout) { table in
            for channel in 0..<layout.c { table[0, channel] = source[channel * layout.s] }
            let totals = channelSums(layout, table, ShiftedMoments(x: source))
            for channel in 0..<layout.c {
                let offset = totals[2 * channel] / count
                let variance = max(totals[2 * channel + 1] / count - offset * offset, 0)
                let mean = Double(table[0, channel]) + offset
                let inverseStd = 1 / (variance + Double(eps)).squareRoot()
                statistics.mean.hostPointer[channel] = Float(mean)
                statistics.inverseStd.hostPointer[channel] = Float(inverseStd)
                runningMean.hostPointer[channel] = Float((1 - m) * Double(runningMean.hostPointer[channel]) + m * mean)
                runningVariance.hostPointer[channel] = Float((1 - m) * Double(runningVariance.hostPointer[channel])
                                                             + m * variance * count / (count - 1))
                let scale = Double(gamma.hostPointer[channel]) * inverseStd
                table[1, channel] = Float(scale)
                table[2, channel] = Float(Double(beta.hostPointer[channel]) - offset * scale)
            }
            forEachVector(layout, table, Normalize(x: source, residual: residual?.hostPointer, out: output.hostPointer,
                                                   relu: relu))
        }
    }

    func batchNormInference(_ x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVariance: Tensor,
                            layout: BatchNormLayout, eps: Float, residual: Tensor?, relu: Bool, output: Tensor) {
        ChannelTable.with(layout) { table in
            for channel in 0..<layout.c {
                table[0, channel] = runningMean.hostPointer[channel]
                table[1, channel] = gamma.hostPointer[channel] / (runningVariance.hostPointer[channel] + eps).squareRoot()
                table[2, channel] = beta.hostPointer[channel]
            }
            forEachVector(layout, table, Normalize(x: x.hostPointer, residual: residual?.hostPointer,
                                                   out: output.hostPointer, relu: relu))
        }
    }

    func batchNormBackward(_ dy: Tensor, input x: Tensor, output: Tensor?, statistics: BatchNormStatistics,
                           gamma: Tensor, layout: BatchNormLayout, dx: Tensor, dgamma: Tensor, dbeta: Tensor) {
        let gradient = MaskedGradient(dy: dy.hostPointer, output: output?.hostPointer)
        let count = Double(layout.perChannel)
        ChannelTable.with(layout) { table in
            for channel in 0..<layout.c { table[0, channel] = statistics.mean.hostPointer[channel] }
            let totals = channelSums(layout, table, GradientMoments(gradient: gradient, x: x.hostPointer))
            // dx = a·g + b·(x − mean) + d, with a = γ/σ, b = −a·dγ/(σM), d = −a·dβ/M.
            for channel in 0..<layout.c {
                let inverseStd = Double(statistics.inverseStd.hostPointer[channel])
                let gradientBeta = totals[2 * channel], gradientGamma = totals[2 * channel + 1] * inverseStd
                dbeta.hostPointer[channel] = Float(gradientBeta)
                dgamma.hostPointer[channel] = Float(gradientGamma)
                let a = Double(gamma.hostPointer[channel]) * inverseStd
                table[1, channel] = Float(a)
                table[2, channel] = Float(-a * inverseStd * gradientGamma / count)
                table[3, channel] = Float(-a * gradientBeta / count)
            }
            forEachVector(layout, table, InputGradient(gradient: gradient, x: x.hostPointer, dx: dx.hostPointer))
        }
    }

    /// Runs `body(offset, lanes, constants)` on every group of 16 values (`lanes` < 16 at a plane's or row's
    /// end) with the matching channel constants, groups split over cores.
    private func forEachVector<Body: ChannelVectorBody>(_ layout: BatchNormLayout, _ table: ChannelTable,
                                                         _ body: Body) {
        let (s, c) = (layout.s, layout.c)
        if s > 1 {
            parallelFor(layout.n * c, work: layout.n * c * s) { planes in
                for plane in planes {
                    let constants = table.broadcast(plane % c)
                    var i = 0
                    while i + 16 <= s {
                        body(plane * s + i, 16, constants)
                        i += 16
                    }
                    if i < s { body(plane * s + i, s - i, constants) }
                }
            }
        } else {
            parallelFor(layout.n, work: layout.n * c) { rows in
                for row in rows {
                    var j = 0
                    while j + 16 <= c {
                        body(row * c + j, 16, table.load(j))
                        j += 16
                    }
                    if j < c { body(row * c + j, c - j, table.load(j)) }
                }
            }
        }
    }

    /// Per-channel sums over all values of the two terms `terms(offset, lanes, constants)` gives for each group
    /// of 16: [first₀, second₀, first₁, second₁, …] in Double. Lanes past `lanes` are ignored.
    private func channelSums<Terms: ChannelVectorTerms>(_ layout: BatchNormLayout, _ table: ChannelTable,
                                                         _ terms: Terms) -> [Double] {
        let (n, s, c) = (layout.n, layout.s, layout.c)
        let units = s > 1 ? n * c : n
        let chunks = max(1, min(threads, units, n * c * s / Self.parallelThreshold))
        var partials = [Double](repeating: 0, count: chunks * 2 * c)
        partials.withUnsafeMutableBufferPointer { buffer in
            let partials = buffer.baseAddress!
            parallelFor(chunks, work: n * c * s) { range in
                for chunk in range {
                    let units = (units * chunk / chunks)..<(units * (chunk + 1) / chunks)
                    let totals = partials + chunk * 2 * c
                    if s > 1 {
                        planeSums(units, s: s, c: c, table, into: totals, terms)
                    } else {
                        rowSums(units, c: c, table, into: totals, terms)
                    }
                }
            }
        }
        return (0..<2 * c).map { k in (0..<chunks).reduce(0) { $0 + partials[$1 * 2 * c + k] } }
    }

    /// `channelSums` over the planes `planes`: each plane summed in float lanes, added to `totals` in Double.
    private func planeSums<Terms: ChannelVectorTerms>(_ planes: Range<Int>, s: Int, c: Int, _ table: ChannelTable,
                                                       into totals: UnsafeMutablePointer<Double>, _ terms: Terms) {
        for plane in planes {
            let constants = table.broadcast(plane % c)
            var first = SIMD16<Float>(), second = SIMD16<Float>()
            var i = 0
            while i + 16 <= s {
                let (a, b) = terms(plane * s + i, 16, constants)
                first += a
                second += b
                i += 16
            }
            if i < s {
                let (a, b) = terms(plane * s + i, s - i, constants)
                first += masked(a, lanes: s - i)
                second += masked(b, lanes: s - i)
            }
            totals[2 * (plane % c)] += Double(first.sum())
            totals[2 * (plane % c) + 1] += Double(second.sum())
        }
    }

    /// `channelSums` over the [N, C] rows `rows`: lanes are channels, summed in float over at most
    /// `rowChunk` rows, then added to `totals` in Double.
    private func rowSums<Terms: ChannelVectorTerms>(_ rows: Range<Int>, c: Int, _ table: ChannelTable,
                                                     into totals: UnsafeMutablePointer<Double>, _ terms: Terms) {
        let padded = max(16, (c + 15) / 16 * 16)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * padded) { buffer in
            let first = buffer.baseAddress!, second = first + padded
            for chunk in stride(from: rows.lowerBound, to: rows.upperBound, by: Self.rowChunk) {
                first.update(repeating: 0, count: 2 * padded)
                for row in chunk..<min(rows.upperBound, chunk + Self.rowChunk) {
                    var j = 0
                    while j < c {
                        let (a, b) = terms(row * c + j, min(16, c - j), table.load(j))
                        store(loadVector(first + j) + masked(a, lanes: c - j), first + j)
                        store(loadVector(second + j) + masked(b, lanes: c - j), second + j)
                        j += 16
                    }
                }
                for channel in 0..<c {
                    totals[2 * channel] += Double(first[channel])
                    totals[2 * channel + 1] += Double(second[channel])
                }
            }
        }
    }

    /// Rows a float lane sums before its total moves to Double.
    private static let rowChunk = 64
}

/// The loop bodies are values of concrete types (as in VectorLoops.swift): generic specialisation inlines
/// them into the loops, where a closure would cost an indirect call per sixteen values.

/// What a reduction sums for the sixteen values at `offset` (only the first `lanes` count).
private protocol ChannelVectorTerms {
    func callAsFunction(_ offset: Int, _ lanes: Int, _ constants: LaneConstants) -> (SIMD16<Float>, SIMD16<Float>)
}

/// What an elementwise pass does to the sixteen values at `offset` (only the first `lanes` exist).
private protocol ChannelVectorBody {
    func callAsFunction(_ offset: Int, _ lanes: Int, _ constants: LaneConstants)
}

/// x − pivot and its square (constant 0: the pivot).
private struct ShiftedMoments: ChannelVectorTerms {
    let x: UnsafePointer<Float>
    @inline(__always)
    func callAsFunction(_ offset: Int, _ lanes: Int, _ constants: LaneConstants) -> (SIMD16<Float>, SIMD16<Float>) {
        let d = load(x + offset, lanes: lanes) - constants.0
        return (d, d * d)
    }
}

/// dy, zeroed where the fused ReLU's output is ≤ 0 (when there is one).
private struct MaskedGradient {
    let dy: UnsafePointer<Float>
    let output: UnsafePointer<Float>?
    @inline(__always)
    func callAsFunction(_ offset: Int, _ lanes: Int) -> SIMD16<Float> {
        let g = load(dy + offset, lanes: lanes)
        guard let output else { return g }
        return g.replacing(with: 0, where: load(output + offset, lanes: lanes) .<= 0)
    }
}

/// g and g·(x − mean) (constant 0: the mean).
private struct GradientMoments: ChannelVectorTerms {
    let gradient: MaskedGradient
    let x: UnsafePointer<Float>
    @inline(__always)
    func callAsFunction(_ offset: Int, _ lanes: Int, _ constants: LaneConstants) -> (SIMD16<Float>, SIMD16<Float>) {
        let g = gradient(offset, lanes)
        return (g, g * (load(x + offset, lanes: lanes) - constants.0))
    }
}

/// out = (x − constant 0) · constant 1 + constant 2, plus the residual when there is one, then max(0, ·) when
/// `relu` (NaN propagates). Subtracting a centre near the values first (the pivot in training, the running mean
/// in eval) keeps a large common offset from cancelling in float.
private struct Normalize: ChannelVectorBody {
    let x: UnsafePointer<Float>
    let residual: UnsafePointer<Float>?
    let out: UnsafeMutablePointer<Float>
    let relu: Bool
    @inline(__always)
    func callAsFunction(_ offset: Int, _ lanes: Int, _ constants: LaneConstants) {
        var value = (load(x + offset, lanes: lanes) - constants.0) * constants.1 + constants.2
        if let residual { value += load(residual + offset, lanes: lanes) }
        if relu { value.replace(with: 0, where: value .< 0) }
        store(value, out + offset, lanes: lanes)
    }
}

/// dx = a·g + b·(x − mean) + d (constants: mean, a, b, d).
private struct InputGradient: ChannelVectorBody {
    let gradient: MaskedGradient
    let x: UnsafePointer<Float>
    let dx: UnsafeMutablePointer<Float>
    @inline(__always)
    func callAsFunction(_ offset: Int, _ lanes: Int, _ constants: LaneConstants) {
        let centred = load(x + offset, lanes: lanes) - constants.0
        store(constants.1 * gradient(offset, lanes) + constants.2 * centred + constants.3, dx + offset, lanes: lanes)
    }
}

/// Up to four per-channel constants for sixteen lanes.
private typealias LaneConstants = (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>)

/// Four per-channel constants of every channel: `table[k, channel]`, stored k-major with each row padded
/// to a multiple of 16 so that whole-vector loads never leave it.
private struct ChannelTable {
    let base: UnsafeMutablePointer<Float>
    let stride: Int

    static func with(_ layout: BatchNormLayout, _ body: (ChannelTable) -> Void) {
        let stride = max(16, (layout.c + 15) / 16 * 16)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * stride) { buffer in
            buffer.initialize(repeating: 0)
            body(ChannelTable(base: buffer.baseAddress!, stride: stride))
        }
    }

    subscript(k: Int, channel: Int) -> Float {
        get { base[k * stride + channel] }
        nonmutating set { base[k * stride + channel] = newValue }
    }

    /// Channel `channel`'s constants in every lane.
    @inline(__always)
    func broadcast(_ channel: Int) -> LaneConstants {
        (SIMD16(repeating: self[0, channel]), SIMD16(repeating: self[1, channel]),
         SIMD16(repeating: self[2, channel]), SIMD16(repeating: self[3, channel]))
    }

    /// The constants of channels first..<first + 16, one per lane.
    @inline(__always)
    func load(_ first: Int) -> LaneConstants {
        (loadVector(base + first), loadVector(base + stride + first), loadVector(base + 2 * stride + first),
         loadVector(base + 3 * stride + first))
    }
}

@inline(__always)
private func loadVector(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
private func store(_ value: SIMD16<Float>, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD16<Float>.self)
}

/// The first `lanes` floats at `pointer`, zero-filled to 16.
@inline(__always)
private func load(_ pointer: UnsafePointer<Float>, lanes: Int) -> SIMD16<Float> {
    if lanes == 16 { return loadVector(pointer) }
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

/// `value` with the lanes from `lanes` on set to zero.
@inline(__always)
private func masked(_ value: SIMD16<Float>, lanes: Int) -> SIMD16<Float> {
    let laneIndices = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
    return lanes >= 16 ? value : value.replacing(with: 0, where: laneIndices .>= Int32(lanes))
}
