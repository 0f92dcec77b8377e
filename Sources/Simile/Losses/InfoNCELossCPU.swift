import CBLAS
import Foundation

/// Rows and columns of the CPU loss's logit tile (1 MiB: one core's L2 holds its half).
private let tileRows = 256, tileColumns = 1024

/// Bytes the CPU InfoNCE allocates besides its inputs and the two gradients it returns: q̂, k̂ and their
/// gradients (N·d each), two norm vectors and the partition sums (N each), the bank's inverse row norms (K)
/// and one tile. Independent of N·K: the logit matrix is never stored.
public func infoNCELossExtraBytes(rows n: Int, bankRows k: Int, features d: Int) -> Int {
    (4 * n * d + 3 * n + k + tileRows * tileColumns) * MemoryLayout<Float>.stride
}

/// The fused CPU InfoNCE loss, forward and backward in one sweep over the bank.
///
/// Rows are unit vectors, so every logit is at most 1/τ and E = exp(s − 1/τ) lies in [e^(−2/τ), 1]: a fixed
/// shift replaces the running max of an online log-sum-exp (exact while 2/τ < 87, i.e. τ > 0.023; below,
/// terms under e^−87 are floored there by `exp16`). Since the shift is fixed and the bank takes no gradient,
/// dq̂_i needs only Σ_j P_ij b̂_j = (Σ_j E_ij b̂_j) / Z_i, and both sums can be made from the same tile: so no
/// tile is recomputed. For each tile of rows I × bank rows J:
/// - S = q̂_I B_Jᵀ / τ by `cblas_sgemm` (B is the raw bank; its row norms are applied next),
/// - E = exp(S ⊙ inv_J − 1/τ), Z_I += row sums of E, and E ← E ⊙ inv_J, fused in one pass over the rows,
/// - G_I += E B_J by `cblas_sgemm`.
/// Then Z_i += exp(s_i+ − 1/τ), ℓ_i = log Z_i + 1/τ − s_i+, P_i+ = exp(s_i+ − 1/τ)/Z_i,
/// dq̂_i = (G_i/Z_i + (P_i+ − 1) k̂_i)/(Nτ), dk̂_i = (P_i+ − 1) q̂_i/(Nτ), and dq, dk follow through the
/// normalisation backward. OpenBLAS threads the products; the fused pass is split over the tile's rows.
func infoNCELossCPU(_ cpu: CPUBackend, queries: Tensor, keys: Tensor, bank: Tensor,
                    temperature: Float) throws -> InfoNCEResult {
    let n = queries.shape[0], d = queries.shape[1], k = bank.shape[0]
    let (queryUnits, queryNorms) = try l2Normalize(queries)
    let (keyUnits, keyNorms) = try l2Normalize(keys)
    let inverseNorms = try inverseRowNorms(bank)
    let dQ = try Tensor.zeros([n, d], on: .cpu), dK = try Tensor(uninitialized: [n, d], on: .cpu)
    let partition = try Tensor.zeros([n], on: .cpu)
    let q = queryUnits.hostPointer, keysHat = keyUnits.hostPointer, b = bank.hostPointer
    let inverse = inverseNorms.hostPointer, g = dQ.hostPointer, z = partition.hostPointer
    let tile = try HostBuffer(count: tileRows * tileColumns), e = tile.pointer
    let shift = 1 / temperature

    for j0 in stride(from: 0, to: k, by: tileColumns) {
        let cols = min(tileColumns, k - j0)
        for i0 in stride(from: 0, to: n, by: tileRows) {
            let rows = min(tileRows, n - i0)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(cols), Int32(d), 1 / temperature,
                        q + i0 * d, Int32(d), b + j0 * d, Int32(d), 0, e, Int32(cols))
            cpu.parallelFor(rows, work: rows * cols) { range in
                for r in range {
                    z[i0 + r] += exponentiateRow(e + r * cols, scales: inverse + j0, count: cols, shift: shift)
                }
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(d), Int32(cols), 1,
                        e, Int32(cols), b + j0 * d, Int32(d), 1, g + i0 * d, Int32(d))
        }
    }

    let scale = 1 / (Float(n) * temperature)
    cpu.parallelFor(n, work: n * d) { range in
        for i in range {
            let queryRow = q + i * d, keyRow = keysHat + i * d, gRow = g + i * d, dKRow = dK.hostPointer + i * d
            let positive = contiguousDot(queryRow, keyRow, count: d) / temperature
            let positiveExp = Foundation.exp(positive - shift)
            let total = z[i] + positiveExp
            let keyWeight = (positiveExp / total - 1) * scale, bankWeight = scale / total
            for c in 0..<d {
                gRow[c] = gRow[c] * bankWeight + keyWeight * keyRow[c]
                dKRow[c] = keyWeight * queryRow[c]
            }
            z[i] = Foundation.log(total) + shift - positive
        }
    }
    let loss = (0..<n).reduce(0.0) { $0 + Double(z[$1]) } / Double(n)
    return InfoNCEResult(loss: Float(loss),
                         queryGradient: try l2NormalizeBackward(y: queryUnits, norms: queryNorms, gradient: dQ),
                         keyGradient: try l2NormalizeBackward(y: keyUnits, norms: keyNorms, gradient: dK))
}

/// For one tile row of logits s (already divided by τ) and the column scales c (the bank's inverse norms):
/// e = exp(s·c − shift), returns Σ e and leaves e·c in place, sixteen lanes at a time.
private func exponentiateRow(_ row: UnsafeMutablePointer<Float>, scales: UnsafePointer<Float>, count: Int,
                             shift: Float) -> Float {
    let shifts = SIMD16<Float>(repeating: shift)
    var sums = SIMD16<Float>(), i = 0
    while i + 16 <= count {
        let c = UnsafeRawPointer(scales + i).loadUnaligned(as: SIMD16<Float>.self)
        let e = exp16(UnsafeRawPointer(row + i).loadUnaligned(as: SIMD16<Float>.self) * c - shifts)
        sums += e
        UnsafeMutableRawPointer(row + i).storeBytes(of: e * c, as: SIMD16<Float>.self)
        i += 16
    }
    var total = sums.sum()
    while i < count {
        let e = Foundation.exp(row[i] * scales[i] - shift)
        total += e
        row[i] = e * scales[i]
        i += 1
    }
    return total
}
