import CBLAS
import Foundation

/// Side of the square tiles of the CPU loss: a 1024 × 1024 tile (4 MiB) is made by one `cblas_sgemm`,
/// then reduced on all cores before the next.
private let tileSide = 1024

/// Bytes the CPU loss allocates besides z and dz: the normalised rows and dU (M·d each), the norms, row
/// shifts, partition sums (turned into the backward's coefficients in place) and the DCLW weights (M each
/// at most), and one tile. Independent of M², as the 2N × 2N matrix is never stored.
public func contrastiveLossExtraBytes(rows m: Int, features d: Int) -> Int {
    (2 * m * d + 4 * m + tileSide * tileSide) * MemoryLayout<Float>.stride
}

/// The fused CPU contrastive loss.
///
/// Logits s_ik = u_i·u_k/τ are symmetric, so only the tiles on and above the diagonal are made, and each
/// serves its rows and (mirrored) its columns. Entries outside a row's denominator (k = i, and k = p(i)
/// for DCL/DCLW) are set to −∞, which `exp16` maps to 0. Each row's log-sum-exp is lse_i = c_i + log Z_i
/// with Z_i = Σ_k exp(s_ik − c_i) and a shift c_i chosen as `LogitShift` documents:
/// - τ ≥ 0.025: c = 1/τ for every row. Then E = exp(s − 1/τ) is symmetric too, so one exp per entry
///   serves the row and the column sums, and the backward's A = P + Pᵀ is E ⊙ (1/Z_i + 1/Z_k).
/// - below: c_i is row i's running maximum, raised tile by tile (online max-and-rescale: Z_i is scaled by
///   exp(c_old − c_new) when a tile holds a larger logit), so no term that matters underflows at any τ.
///   Rows and columns then need their own exp, and A = exp(s − lse_i) + exp(s − lse_k).
/// Then ℓ_i = lse_i − w_i s_{i,p(i)}; the backward makes each tile again, dU_I += A·U_K and
/// dU_K += Aᵀ·U_I, then dU −= 2·w·U_p, dU /= Mτ, and dz follows through the L2-normalisation backward.
/// Writes the loss into `loss` and returns dz.
func contrastiveLossCPU(_ cpu: CPUBackend, _ z: Tensor, method: ContrastiveMethod, temperature: Float,
                        sigma: Float, loss lossOut: Tensor) throws -> Tensor {
    let m = z.shape[0], d = z.shape[1], n = m / 2
    let (u, norms) = try l2Normalize(z)
    let units = u.hostPointer
    let weights = positiveWeights(units, n: n, d: d, method: method, sigma: sigma)
    let tile = try HostBuffer(count: tileSide * tileSide), s = tile.pointer
    let fixedShift = LogitShift.fixedShiftIsExact(temperature: temperature)
    let shiftTensor = try Tensor.full([m], fixedShift ? 1 / temperature : -.infinity, on: .cpu)
    let partition = try Tensor.zeros([m], on: .cpu)
    let shifts = shiftTensor.hostPointer, sums = partition.hostPointer
    func positive(_ i: Int) -> Int { i < n ? i + n : i - n }

    /// Fills the tile (row-major, row length `cols`) with s for rows i0..<i0+rows × columns k0..<k0+cols,
    /// −∞ outside the denominators.
    func makeLogits(_ i0: Int, _ rows: Int, _ k0: Int, _ cols: Int) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(cols), Int32(d), 1 / temperature,
                    units + i0 * d, Int32(d), units + k0 * d, Int32(d), 0, s, Int32(cols))
        for i in i0..<i0 + rows {
            for k in [i, positive(i)] where k >= k0 && k < k0 + cols && (k == i || method.excludesPositive) {
                s[(i - i0) * cols + k - k0] = -.infinity
            }
        }
    }

    let blocks = stride(from: 0, to: m, by: tileSide).map { ($0, min(tileSide, m - $0)) }
    let upperTiles = blocks.indices.flatMap { a in blocks.indices[a...].map { (blocks[a], blocks[$0]) } }
    for ((i0, rows), (k0, cols)) in upperTiles {
        makeLogits(i0, rows, k0, cols)
        let mirrored = k0 != i0
        if fixedShift {
            cpu.parallelFor(rows, work: rows * cols) { range in
                for r in range { sums[i0 + r] += exponentiate(s + r * cols, count: cols, shift: shifts[i0 + r]) }
            }
            if mirrored {
                cpu.parallelFor(cols, grain: 16, work: rows * cols) { range in
                    addColumnSums(s, rows: rows, cols: cols, range, into: sums + k0)
                }
            }
            continue
        }
        cpu.parallelFor(rows, work: rows * cols) { range in
            for r in range {
                let row = s + r * cols
                raise(shifts + i0 + r, sums + i0 + r, to: rowMaximum(row, count: cols))
                sums[i0 + r] += shiftedExpSum(row, count: cols, shift: shifts[i0 + r])
            }
        }
        if mirrored {
            cpu.parallelFor(cols, grain: 16, work: rows * cols) { range in
                addShiftedColumnExpSums(s, rows: rows, cols: cols, range, shifts: shifts + k0, sums: sums + k0)
            }
        }
    }
    var loss = 0.0
    for i in 0..<m {
        let positiveLogit = contiguousDot(units + i * d, units + positive(i) * d, count: d) / temperature
        let lse = shifts[i] + log(sums[i])
        loss += Double(lse) - Double(weights[i % n] * positiveLogit)
        sums[i] = fixedShift ? 1 / sums[i] : lse
    }

    let dU = try Tensor.zeros([m, d], on: .cpu)
    let gradient = dU.hostPointer
    for ((i0, rows), (k0, cols)) in upperTiles {
        makeLogits(i0, rows, k0, cols)
        cpu.parallelFor(rows, work: rows * cols) { range in
            for r in range {
                let row = s + r * cols
                if fixedShift {
                    cpu.map(ExpTimesBothReciprocals(shift: shifts[i0 + r], row: sums[i0 + r]), row, sums + k0,
                            into: row, count: cols)
                } else {
                    cpu.map(BothSoftmaxes(row: sums[i0 + r]), row, sums + k0, into: row, count: cols)
                }
            }
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(d), Int32(cols), 1,
                    s, Int32(cols), units + k0 * d, Int32(d), 1, gradient + i0 * d, Int32(d))
        if k0 != i0 {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(cols), Int32(d), Int32(rows), 1,
                        s, Int32(cols), units + i0 * d, Int32(d), 1, gradient + k0 * d, Int32(d))
        }
    }
    let scale = 1 / (Float(m) * temperature)
    cpu.parallelFor(m, work: m * d) { range in
        for i in range {
            let weight = 2 * weights[i % n], partner = units + positive(i) * d, row = gradient + i * d
            for c in 0..<d { row[c] = (row[c] - weight * partner[c]) * scale }
        }
    }
    lossOut.hostPointer.pointee = Float(loss / Double(m))
    return try l2NormalizeBackward(y: u, norms: norms, gradient: dU)
}

/// DCLW's w_n = 2 − N·softmax_n(u1_n·u2_n / σ); 1 for NT-Xent and DCL.
private func positiveWeights(_ units: UnsafeMutablePointer<Float>, n: Int, d: Int, method: ContrastiveMethod,
                             sigma: Float) -> [Float] {
    guard method == .dclw else { return [Float](repeating: 1, count: n) }
    let scores = (0..<n).map { contiguousDot(units + $0 * d, units + ($0 + n) * d, count: d) / sigma }
    let peak = scores.max()!
    let exps = scores.map { exp($0 - peak) }
    let total = exps.reduce(0, +)
    return exps.map { 2 - Float(n) * $0 / total }
}

/// Raises a row's running shift to `peak` if that is larger, rescaling its partial sum to the new shift.
@inline(__always)
private func raise(_ shift: UnsafeMutablePointer<Float>, _ sum: UnsafeMutablePointer<Float>, to peak: Float) {
    guard peak > shift.pointee else { return }
    sum.pointee *= exp(shift.pointee - peak)
    shift.pointee = peak
}

/// Replaces row[0..<count] by exp(row − shift) and returns their sum.
private func exponentiate(_ row: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
    let shifts = SIMD16<Float>(repeating: shift)
    var lanes = SIMD16<Float>(), c = 0
    while c + 16 <= count {
        let e = exp16(UnsafeRawPointer(row + c).loadUnaligned(as: SIMD16<Float>.self) - shifts)
        UnsafeMutableRawPointer(row + c).storeBytes(of: e, as: SIMD16<Float>.self)
        lanes += e
        c += 16
    }
    var total = lanes.sum()
    for tail in c..<count {
        row[tail] = exp(row[tail] - shift)
        total += row[tail]
    }
    return total
}

/// Σ exp(row − shift) over row[0..<count], leaving the row as it is.
private func shiftedExpSum(_ row: UnsafePointer<Float>, count: Int, shift: Float) -> Float {
    let shifts = SIMD16<Float>(repeating: shift)
    var lanes = SIMD16<Float>(), c = 0
    while c + 16 <= count {
        lanes += exp16(UnsafeRawPointer(row + c).loadUnaligned(as: SIMD16<Float>.self) - shifts)
        c += 16
    }
    return (c..<count).reduce(lanes.sum()) { $0 + exp(row[$1] - shift) }
}

/// The largest of row[0..<count] (−∞ for an all-masked row).
private func rowMaximum(_ row: UnsafePointer<Float>, count: Int) -> Float {
    var lanes = SIMD16<Float>(repeating: -.infinity), c = 0
    while c + 16 <= count {
        let values = UnsafeRawPointer(row + c).loadUnaligned(as: SIMD16<Float>.self)
        lanes.replace(with: values, where: values .> lanes)
        c += 16
    }
    return (c..<count).reduce(lanes.max()) { max($0, row[$1]) }
}

/// sums[c] += Σ_r tile[r, c] for the columns in `range` of a rows × cols tile.
private func addColumnSums(_ tile: UnsafePointer<Float>, rows: Int, cols: Int, _ range: Range<Int>,
                           into sums: UnsafeMutablePointer<Float>) {
    for r in 0..<rows {
        let row = tile + r * cols
        for c in range { sums[c] += row[c] }
    }
}

/// For the columns in `range` of a rows × cols tile of logits: raises each column's running shift to the
/// column's maximum, then adds Σ_r exp(tile[r, c] − shift[c]) to its sum (sixteen columns at a time).
private func addShiftedColumnExpSums(_ tile: UnsafePointer<Float>, rows: Int, cols: Int, _ range: Range<Int>,
                                     shifts: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>) {
    for c0 in stride(from: range.lowerBound, to: range.upperBound, by: 16) {
        let width = min(16, range.upperBound - c0)
        func column(_ r: Int) -> SIMD16<Float> {
            let start = tile + r * cols + c0
            if width == 16 { return UnsafeRawPointer(start).loadUnaligned(as: SIMD16<Float>.self) }
            var lanes = SIMD16<Float>(repeating: -.infinity)
            for lane in 0..<width { lanes[lane] = start[lane] }
            return lanes
        }
        var peak = SIMD16<Float>(repeating: -.infinity)
        for r in 0..<rows {
            let values = column(r)
            peak.replace(with: values, where: values .> peak)
        }
        for lane in 0..<width { raise(shifts + c0 + lane, sums + c0 + lane, to: peak[lane]) }
        var shift = SIMD16<Float>(repeating: 0)
        for lane in 0..<width { shift[lane] = shifts[c0 + lane] }
        var total = SIMD16<Float>()
        for r in 0..<rows { total += exp16(column(r) - shift) }
        for lane in 0..<width { sums[c0 + lane] += total[lane] }
    }
}

/// exp(s − c) · (1/Z_i + 1/Z_k) for one tile row with a common shift c: `row` is 1/Z_i, the second operand
/// holds 1/Z_k per column.
private struct ExpTimesBothReciprocals: BinaryVectorOp {
    let shift: SIMD16<Float>, row: SIMD16<Float>
    init(shift: Float, row: Float) { (self.shift, self.row) = (SIMD16(repeating: shift), SIMD16(repeating: row)) }
    func callAsFunction(_ s: SIMD16<Float>, _ columns: SIMD16<Float>) -> SIMD16<Float> {
        exp16(s - shift) * (columns + row)
    }
}

/// exp(s − lse_i) + exp(s − lse_k), P + Pᵀ, for one tile row: `row` is lse_i, the second operand lse_k.
private struct BothSoftmaxes: BinaryVectorOp {
    let row: SIMD16<Float>
    init(row: Float) { self.row = SIMD16(repeating: row) }
    func callAsFunction(_ s: SIMD16<Float>, _ columns: SIMD16<Float>) -> SIMD16<Float> {
        exp16(s - row) + exp16(s - columns)
    }
}
