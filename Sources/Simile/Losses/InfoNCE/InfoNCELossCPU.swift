import CBLAS
import Foundation

/// Rows and columns of the CPU loss's logit tile (1 MiB: one core's L2 holds its half).
private let tileRows = 256, tileColumns = 1024

/// Bytes the CPU InfoNCE allocates besides its inputs and the two gradients it returns: q̂, k̂ and their
/// gradients (N·d each), two norm vectors, the partition sums and the running maxima (N each), the bank's
/// inverse row norms (K) and one tile. Independent of N·K: the logit matrix is never stored.
public func infoNCELossExtraBytes(rows n: Int, bankRows k: Int, features d: Int) -> Int {
    (4 * n * d + 4 * n + k + tileRows * tileColumns) * MemoryLayout<Float>.stride
}

/// The fused CPU InfoNCE loss, forward and backward in one sweep over the bank.
///
/// Each query row i is shifted by c_i, with E_ij = exp(s_ij − c_i) (see `LogitShift`):
/// - below `LogitShift.fixedShiftMinimumTemperature`, c_i is the row's running maximum (an online log-sum-exp, as
///   in streaming softmax), exact for every τ ≥ `LogitShift.minimumTemperature`, where the fixed shift by 1/τ
///   underflows once a row's logits all lie ~87 below 1/τ. c_i starts at the positive logit s_i+, so it rises only
///   for bank rows closer than the key; when a logit exceeds it, Z_i, G_i and the row's stored terms are multiplied
///   by exp(c_i − c'_i) for the new c'_i, the largest logit of the rest of the tile row (so at most once a tile row);
/// - from there up, the fixed shift c_i = 1/τ, provably exact: it skips the per-16-lane check for a rising maximum,
///   which cost 2–7 % at τ = 0.1 (N = 1024, K = 4096 and 16384; interleaved runs on a shared 2-core machine; OpenCL
///   showed no measurable cost, so its kernels take the running maximum at every τ).
/// Since the bank takes no gradient, dq̂_i needs only Σ_j P_ij b̂_j = G_i / Z_i, with Z_i = Σ_j E_ij and
/// G_i = Σ_j E_ij b̂_j both relative to c_i, so both sums come from the same tile and no tile is recomputed.
/// For each tile of rows I × bank rows J:
/// - D = q̂_I B_Jᵀ by `cblas_sgemm` (B is the raw bank), and S = D ⊙ inv_J / τ (cosines first, so S stays finite),
/// - E = exp(S − c_I) (raising c_I first where needed), Z_I += row sums of E and E ← E ⊙ inv_J, fused in one pass
///   over each row,
/// - G_I += E B_J by `cblas_sgemm`.
/// Then with e_i = exp(s_i+ − c_i), D_i = Z_i + e_i and 1 − P_i+ = Z_i/D_i (the bank's share, no subtraction
/// from 1): ℓ_i = `positiveLoss`(Z_i, c_i − s_i+) = log1p(Z_i/e_i) (exact where it is tiny, unlike lse_i − s_i+),
/// dq̂_i = (G_i/D_i − (1 − P_i+) k̂_i)/(Nτ), dk̂_i = −(1 − P_i+) q̂_i/(Nτ), and dq, dk follow through the
/// normalisation backward. With `keyInBank` (`bankSoftmaxLoss`: k̂_i is a bank row, already in Z_i), D_i = Z_i,
/// the key's coefficient is −1 and ℓ_i = log Z_i + c_i − s_i+.
/// OpenBLAS threads the products; the row passes are split over the tile's rows.
/// Writes the loss into `loss` and returns dq and dk.
func infoNCELossCPU(_ cpu: CPUBackend, queries: Tensor, keys: Tensor, bank: Tensor, temperature: Float,
                    keyInBank: Bool, loss: Tensor) throws -> (queries: Tensor, keys: Tensor) {
    let n = queries.shape[0], d = queries.shape[1], k = bank.shape[0]
    let (queryUnits, queryNorms) = try l2Normalize(queries)
    let (keyUnits, keyNorms) = try l2Normalize(keys)
    let inverseNorms = try inverseRowNorms(bank)
    let dQ = try Tensor.zeros([n, d], on: .cpu), dK = try Tensor(uninitialized: [n, d], on: .cpu)
    let partition = try Tensor.zeros([n], on: .cpu), maxima = try Tensor(uninitialized: [n], on: .cpu)
    let q = queryUnits.hostPointer, keysHat = keyUnits.hostPointer, b = bank.hostPointer
    let inverse = inverseNorms.hostPointer, g = dQ.hostPointer, z = partition.hostPointer, c = maxima.hostPointer
    let tile = try HostBuffer(count: tileRows * tileColumns), e = tile.pointer
    let inverseTemperature = 1 / temperature
    func positive(_ i: Int) -> Float { contiguousDot(q + i * d, keysHat + i * d, count: d) * inverseTemperature }

    let online = !LogitShift.fixedShiftIsExact(temperature: temperature)
    cpu.parallelFor(n, work: n * d) { range in
        for i in range { c[i] = online ? positive(i) : inverseTemperature }
    }
    for j0 in stride(from: 0, to: k, by: tileColumns) {
        let cols = min(tileColumns, k - j0)
        for i0 in stride(from: 0, to: n, by: tileRows) {
            let rows = min(tileRows, n - i0)
            tracedSgemm("infonce logits",
                        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(cols), Int32(d), 1,
                        q + i0 * d, Int32(d), b + j0 * d, Int32(d), 0, e, Int32(cols))
            cpu.parallelFor(rows, work: rows * cols) { range in
                for r in range {
                    let i = i0 + r
                    let (sum, rescale) = exponentiateRow(e + r * cols, scales: inverse + j0, count: cols,
                                                         inverseTemperature: inverseTemperature, shift: &c[i],
                                                         online: online)
                    if rescale != 1 {
                        z[i] *= rescale
                        for x in 0..<d { g[i * d + x] *= rescale }
                    }
                    z[i] += sum
                }
            }
            tracedSgemm("infonce gradient",
                        CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(d), Int32(cols), 1,
                        e, Int32(cols), b + j0 * d, Int32(d), 1, g + i0 * d, Int32(d))
        }
    }

    let scale = 1 / (Float(n) * temperature)
    cpu.parallelFor(n, work: n * d) { range in
        for i in range {
            let queryRow = q + i * d, keyRow = keysHat + i * d, gRow = g + i * d, dKRow = dK.hostPointer + i * d
            let gap = c[i] - positive(i), total = keyInBank ? z[i] : z[i] + Foundation.exp(-gap)
            let keyWeight = keyInBank ? -scale : -z[i] / total * scale, bankWeight = scale / total
            for x in 0..<d {
                gRow[x] = gRow[x] * bankWeight + keyWeight * keyRow[x]
                dKRow[x] = keyWeight * queryRow[x]
            }
            z[i] = keyInBank ? Foundation.log(z[i]) + gap : positiveLoss(negatives: z[i], gap: gap)
        }
    }
    loss.hostPointer.pointee = Float((0..<n).reduce(0.0) { $0 + Double(z[$1]) } / Double(n))
    return (try l2NormalizeBackward(y: queryUnits, norms: queryNorms, gradient: dQ),
            try l2NormalizeBackward(y: keyUnits, norms: keyNorms, gradient: dK))
}

/// For one tile row of dot products with the raw bank rows, the column scales c (the bank's inverse norms) and the
/// row's shift: e = exp(s − shift) for the logits s = (row·c)/τ, leaving e·c in place, sixteen lanes at a time.
/// Returns Σ e and the factor exp(old shift − new shift) by which the row's earlier sums must be multiplied (1 for
/// the fixed shift). `online`: where a logit exceeds `shift` (rare), the shift rises to the largest logit of the rest
/// of the row, so at most once a row, and what the row has stored so far is rescaled; else one pass over the row.
private func exponentiateRow(_ row: UnsafeMutablePointer<Float>, scales: UnsafePointer<Float>, count: Int,
                             inverseTemperature t: Float, shift: inout Float,
                             online: Bool) -> (sum: Float, rescale: Float) {
    var shifts = SIMD16<Float>(repeating: shift), sums = SIMD16<Float>(), tail: Float = 0, rescale: Float = 1
    func raise(from i: Int) {
        let top = logitMaximum(row + i, scales: scales + i, count: count - i, inverseTemperature: t)
        let factor = Foundation.exp(shift - top)
        for x in 0..<i { row[x] *= factor }
        sums *= factor
        tail *= factor
        rescale *= factor
        shift = top
        shifts = SIMD16(repeating: top)
    }
    var i = 0
    while i + 16 <= count {
        let c = UnsafeRawPointer(scales + i).loadUnaligned(as: SIMD16<Float>.self)
        let s = UnsafeRawPointer(row + i).loadUnaligned(as: SIMD16<Float>.self) * c * t
        if online && any(s .> shifts) { raise(from: i) }
        let e = exp16(s - shifts)
        sums += e
        UnsafeMutableRawPointer(row + i).storeBytes(of: e * c, as: SIMD16<Float>.self)
        i += 16
    }
    while i < count {
        let s = row[i] * scales[i] * t
        if online && s > shift { raise(from: i) }
        let e = Foundation.exp(s - shift)
        tail += e
        row[i] = e * scales[i]
        i += 1
    }
    return (sums.sum() + tail, rescale)
}

/// The largest logit (row·c)/τ of `count` dot products and their column scales c.
private func logitMaximum(_ row: UnsafePointer<Float>, scales: UnsafePointer<Float>, count: Int,
                          inverseTemperature t: Float) -> Float {
    var tops = SIMD16<Float>(repeating: -.infinity), i = 0
    while i + 16 <= count {
        let s = UnsafeRawPointer(row + i).loadUnaligned(as: SIMD16<Float>.self)
            * UnsafeRawPointer(scales + i).loadUnaligned(as: SIMD16<Float>.self) * t
        tops.replace(with: s, where: s .> tops)
        i += 16
    }
    var top = tops.max()
    while i < count {
        top = max(top, row[i] * scales[i] * t)
        i += 1
    }
    return top
}
