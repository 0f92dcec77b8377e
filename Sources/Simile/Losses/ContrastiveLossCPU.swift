import Foundation
import CBLAS

/// Tile sizes of the CPU loss: a rowBlock × columnBlock tile of logits (2 MiB) is made by one
/// `cblas_sgemm`, then reduced on all cores before the next.
private let rowBlock = 256
private let columnBlock = 2048

/// Bytes the CPU loss allocates besides z and dz: the normalised rows and dU (M·d each), the norms and
/// lse (M each), and one logits tile. Independent of M², as the 2M×2M matrix is never stored.
public func contrastiveLossExtraBytes(rows m: Int, features d: Int) -> Int {
    (2 * m * d + 2 * m + rowBlock * columnBlock) * MemoryLayout<Float>.stride
}

/// The fused CPU contrastive loss.
///
/// Forward: for each tile S = U_I·U_Kᵀ/τ, masked entries (the anchor itself, and for DCL/DCLW its positive)
/// are set to −∞ and each row's running max and Σexp are updated (online log-sum-exp), giving lse_i.
/// Backward: each tile is recomputed, A = exp(S − lse_i) + exp(S − lse_k) on the unmasked entries
/// (the softmax P and its transpose), and dU_I += A·U_K by `cblas_sgemm`; then dU −= 2·w·U_p, dU /= Mτ,
/// and dz follows through the L2-normalisation backward.
func contrastiveLossCPU(_ cpu: CPUBackend, _ z: Tensor, method: ContrastiveMethod, temperature: Float,
                        sigma: Float) throws -> ContrastiveLossResult {
    let m = z.shape[0], d = z.shape[1], n = m / 2
    let (u, norms) = try l2Normalize(z)
    let units = u.hostPointer
    func positive(_ i: Int) -> Int { i < n ? i + n : i - n }

    let weights = positiveWeights(units, n: n, d: d, method: method, sigma: sigma)
    var lse = [Float](repeating: 0, count: m)
    let tile = try HostBuffer(count: rowBlock * columnBlock)
    let logits = tile.pointer

    /// Fills `logits` with the tile rows i0..<i0+rows × columns k0..<k0+cols, masked entries set to −∞.
    func makeTile(_ i0: Int, _ rows: Int, _ k0: Int, _ cols: Int) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(cols), Int32(d), 1 / temperature,
                    units + i0 * d, Int32(d), units + k0 * d, Int32(d), 0, logits, Int32(cols))
        for r in 0..<rows {
            let i = i0 + r
            for k in [i, positive(i)] where k >= k0 && k < k0 + cols && (k == i || method.excludesPositive) {
                logits[r * cols + k - k0] = -.infinity
            }
        }
    }

    var loss = 0.0
    lse.withUnsafeMutableBufferPointer { lse in
        for i0 in stride(from: 0, to: m, by: rowBlock) {
            let rows = min(rowBlock, m - i0)
            var peak = [Float](repeating: -.infinity, count: rows), total = [Float](repeating: 0, count: rows)
            for k0 in stride(from: 0, to: m, by: columnBlock) {
                let cols = min(columnBlock, m - k0)
                makeTile(i0, rows, k0, cols)
                peak.withUnsafeMutableBufferPointer { peak in
                    total.withUnsafeMutableBufferPointer { total in
                        cpu.parallelFor(rows, work: rows * cols) { range in
                            for r in range {
                                let row = logits + r * cols
                                let newPeak = max(peak[r], rowMax(row, count: cols))
                                guard newPeak > -.infinity else { continue }
                                total[r] = total[r] * exp16(SIMD16(repeating: peak[r] - newPeak))[0]
                                    + rowSumExp(row, count: cols, minus: newPeak)
                                peak[r] = newPeak
                            }
                        }
                    }
                }
            }
            for r in 0..<rows {
                let i = i0 + r
                lse[i] = peak[r] + log(total[r])
                let positiveLogit = contiguousDot(units + i * d, units + positive(i) * d, count: d) / temperature
                loss += Double(lse[i] - weights[i % n] * positiveLogit)
            }
        }
    }

    let dU = try Tensor.zeros([m, d], on: z.device)
    let gradient = dU.hostPointer
    lse.withUnsafeBufferPointer { lse in
        for i0 in stride(from: 0, to: m, by: rowBlock) {
            let rows = min(rowBlock, m - i0)
            for k0 in stride(from: 0, to: m, by: columnBlock) {
                let cols = min(columnBlock, m - k0)
                makeTile(i0, rows, k0, cols)
                cpu.parallelFor(rows, work: rows * cols) { range in
                    for r in range {
                        softmaxBothWays(logits + r * cols, count: cols, rowLSE: lse[i0 + r], columnLSE: lse.baseAddress! + k0)
                    }
                }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(d), Int32(cols), 1,
                            logits, Int32(cols), units + k0 * d, Int32(d), 1, gradient + i0 * d, Int32(d))
            }
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
    let exps = scores.map { Foundation.exp($0 - peak) }
    let total = exps.reduce(0, +)
    return exps.map { 2 - Float(n) * $0 / total }
}

/// The largest of row[0..<count].
private func rowMax(_ row: UnsafeMutablePointer<Float>, count: Int) -> Float {
    var lanes = SIMD16<Float>(repeating: -.infinity)
    var c = 0
    while c + 16 <= count {
        let values = UnsafeRawPointer(row + c).loadUnaligned(as: SIMD16<Float>.self)
        lanes = lanes.replacing(with: values, where: values .> lanes)
        c += 16
    }
    var best = lanes.max()
    while c < count {
        best = max(best, row[c])
        c += 1
    }
    return best
}

/// Σ exp(row[c] − shift) for c < count.
private func rowSumExp(_ row: UnsafeMutablePointer<Float>, count: Int, minus shift: Float) -> Float {
    var lanes = SIMD16<Float>()
    var c = 0
    let offset = SIMD16<Float>(repeating: shift)
    while c + 16 <= count {
        lanes += exp16(UnsafeRawPointer(row + c).loadUnaligned(as: SIMD16<Float>.self) - offset)
        c += 16
    }
    var total = lanes.sum()
    while c < count {
        total += row[c] == -.infinity ? 0 : Foundation.exp(row[c] - shift)
        c += 1
    }
    return total
}

/// row[c] ← exp(row[c] − rowLSE) + exp(row[c] − columnLSE[c]), 0 where row[c] = −∞ (masked).
private func softmaxBothWays(_ row: UnsafeMutablePointer<Float>, count: Int, rowLSE: Float,
                             columnLSE: UnsafePointer<Float>) {
    var c = 0
    let rowShift = SIMD16<Float>(repeating: rowLSE), negativeInfinity = SIMD16<Float>(repeating: -.infinity)
    while c + 16 <= count {
        let logits = UnsafeRawPointer(row + c).loadUnaligned(as: SIMD16<Float>.self)
        let columnShift = UnsafeRawPointer(columnLSE + c).loadUnaligned(as: SIMD16<Float>.self)
        let sum = exp16(logits - rowShift) + exp16(logits - columnShift)
        UnsafeMutableRawPointer(row + c).storeBytes(of: sum.replacing(with: 0, where: logits .== negativeInfinity),
                                                    as: SIMD16<Float>.self)
        c += 16
    }
    while c < count {
        row[c] = row[c] == -.infinity ? 0 : Foundation.exp(row[c] - rowLSE) + Foundation.exp(row[c] - columnLSE[c])
        c += 1
    }
}
