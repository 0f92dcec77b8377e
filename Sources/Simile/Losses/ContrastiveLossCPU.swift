import CBLAS
import Foundation

/// Side of the square tiles of the CPU loss: a 1024 × 1024 tile (4 MiB) is made by one `cblas_sgemm`,
/// then reduced on all cores before the next.
private let tileSide = 1024

/// Bytes the CPU loss allocates besides z and dz: the normalised rows and dU (M·d each), the norms,
/// partition sums and their reciprocals (M each), and one tile. Independent of M², as the 2N × 2N matrix
/// is never stored.
public func contrastiveLossExtraBytes(rows m: Int, features d: Int) -> Int {
    (2 * m * d + 3 * m + tileSide * tileSide) * MemoryLayout<Float>.stride
}

/// The fused CPU contrastive loss.
///
/// Rows are unit vectors, so every logit s_ik = u_i·u_k/τ is at most 1/τ and E_ik = exp(s_ik − 1/τ) lies in
/// [e^(−2/τ), 1] (above 1e-18 for τ ≥ 0.05): a fixed shift replaces the running max of an online
/// log-sum-exp, and E is symmetric. So only the tiles on and above the diagonal are made.
/// - Forward: E tile by tile (masked entries 0), its row sums added to Z_I and column sums to Z_K;
///   then lse_i = log Z_i + 1/τ and ℓ_i = lse_i − w_i s_{i,p(i)}.
/// - Backward: each tile again, A = E ⊙ (1/Z_i + 1/Z_k) (that is P + Pᵀ), dU_I += A·U_K and dU_K += Aᵀ·U_I;
///   then dU −= 2·w·U_p, dU /= Mτ, and dz follows through the L2-normalisation backward.
func contrastiveLossCPU(_ cpu: CPUBackend, _ z: Tensor, method: ContrastiveMethod, temperature: Float,
                        sigma: Float) throws -> ContrastiveLossResult {
    let m = z.shape[0], d = z.shape[1], n = m / 2
    let (u, norms) = try l2Normalize(z)
    let units = u.hostPointer
    let weights = positiveWeights(units, n: n, d: d, method: method, sigma: sigma)
    let tile = try HostBuffer(count: tileSide * tileSide)
    let partition = try Tensor.zeros([m], on: .cpu), sums = partition.hostPointer
    let shift = 1 / temperature
    func positive(_ i: Int) -> Int { i < n ? i + n : i - n }

    /// Fills the tile (row-major, row length `cols`) with E for rows i0..<i0+rows × columns k0..<k0+cols.
    func makeTile(_ i0: Int, _ rows: Int, _ k0: Int, _ cols: Int) {
        let e = tile.pointer
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(cols), Int32(d), 1 / temperature,
                    units + i0 * d, Int32(d), units + k0 * d, Int32(d), 0, e, Int32(cols))
        cpu.parallelFor(rows, work: rows * cols) { range in
            for r in range {
                cpu.map(ShiftedExp(shift: shift), e + r * cols, into: e + r * cols, count: cols)
                let i = i0 + r
                for k in [i, positive(i)] where k >= k0 && k < k0 + cols && (k == i || method.excludesPositive) {
                    e[r * cols + k - k0] = 0
                }
            }
        }
    }

    let blocks = stride(from: 0, to: m, by: tileSide).map { ($0, min(tileSide, m - $0)) }
    let upperTiles = blocks.indices.flatMap { a in blocks.indices[a...].map { (blocks[a], blocks[$0]) } }
    for ((i0, rows), (k0, cols)) in upperTiles {
        makeTile(i0, rows, k0, cols)
        let e = tile.pointer
        cpu.parallelFor(rows, work: rows * cols) { range in
            for r in range { sums[i0 + r] += contiguousSum(e + r * cols, count: cols) }
        }
        guard k0 != i0 else { continue }
        cpu.parallelFor(cols, grain: 16, work: rows * cols) { range in
            for r in 0..<rows {
                let row = e + r * cols
                for c in range { sums[k0 + c] += row[c] }
            }
        }
    }
    var loss = 0.0
    for i in 0..<m {
        let positiveLogit = contiguousDot(units + i * d, units + positive(i) * d, count: d) / temperature
        loss += Double(log(sums[i]) + shift - weights[i % n] * positiveLogit)
    }

    let inverse = try Tensor.zeros([m], on: .cpu), reciprocals = inverse.hostPointer
    for i in 0..<m { reciprocals[i] = 1 / sums[i] }
    let dU = try Tensor.zeros([m, d], on: .cpu)
    let gradient = dU.hostPointer
    for ((i0, rows), (k0, cols)) in upperTiles {
        makeTile(i0, rows, k0, cols)
        let a = tile.pointer
        cpu.parallelFor(rows, work: rows * cols) { range in
            for r in range {
                cpu.map(ScaleBothWays(row: reciprocals[i0 + r]), a + r * cols, reciprocals + k0, into: a + r * cols,
                        count: cols)
            }
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(d), Int32(cols), 1,
                    a, Int32(cols), units + k0 * d, Int32(d), 1, gradient + i0 * d, Int32(d))
        if k0 != i0 {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(cols), Int32(d), Int32(rows), 1,
                        a, Int32(cols), units + i0 * d, Int32(d), 1, gradient + k0 * d, Int32(d))
        }
    }
    let scale = 1 / (Float(m) * temperature)
    cpu.parallelFor(m, work: m * d) { range in
        for i in range {
            let weight = 2 * weights[i % n], partner = units + positive(i) * d, row = gradient + i * d
            for c in 0..<d { row[c] = (row[c] - weight * partner[c]) * scale }
        }
    }
    let dz = try l2NormalizeBackward(y: u, norms: norms, gradient: dU)
    return ContrastiveLossResult(loss: Float(loss / Double(m)), gradient: dz)
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

/// exp(x − shift), 16 lanes at a time.
private struct ShiftedExp: UnaryVectorOp {
    let shift: SIMD16<Float>
    init(shift: Float) { self.shift = SIMD16(repeating: shift) }
    func callAsFunction(_ x: SIMD16<Float>) -> SIMD16<Float> { exp16(x - shift) }
}

/// e · (1/Z_i + 1/Z_k) for one tile row: `row` is 1/Z_i, the second operand holds 1/Z_k per column.
private struct ScaleBothWays: BinaryVectorOp {
    let row: SIMD16<Float>
    init(row: Float) { self.row = SIMD16(repeating: row) }
    func callAsFunction(_ e: SIMD16<Float>, _ columns: SIMD16<Float>) -> SIMD16<Float> { e * (columns + row) }
}
