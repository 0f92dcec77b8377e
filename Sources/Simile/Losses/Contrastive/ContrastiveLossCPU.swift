import CBLAS
import Foundation

/// Side of the square tiles of the CPU loss: a 256 × 256 tile of logits (256 KiB) stays in its core's L2 cache
/// between the GEMM that makes it and the loop that reduces it.
private let tileSide = 256

/// Bytes the CPU loss allocates besides z and dz: the normalised rows (M·d), the norms, and per core one tile,
/// a running shift and partial sum per row (M each) and, except on the first core (which writes into dz's
/// buffer before the L2-normalisation backward), a partial dU (M·d). Linear in M, as the 2N × 2N matrix is
/// never stored.
public func contrastiveLossExtraBytes(rows m: Int, features d: Int) -> Int {
    guard case .cpu(let cpu) = Device.cpu.backend else { preconditionFailure("Device.cpu is the CPU backend") }
    let slots = contrastiveSlots(cpu, rows: m)
    return (2 * m * d + m + slots * (tileSide * tileSide + 2 * m) + (slots - 1) * m * d) * MemoryLayout<Float>.stride
}

/// Cores the CPU loss runs on: one per core, at most one per tile.
private func contrastiveSlots(_ cpu: CPUBackend, rows m: Int) -> Int {
    let blocks = (m + tileSide - 1) / tileSide
    return max(1, min(cpu.threads, blocks * (blocks + 1) / 2))
}

/// The fused CPU contrastive loss.
///
/// Logits s_ik = u_i·u_k/τ are symmetric, so only the tiles on and above the diagonal are made, and each
/// serves its rows and (mirrored) its columns. The tiles leave out k = i and the positive k = p(i) (set to −∞,
/// which exponentiates to 0) for every method, so each row sums its negatives apart: Z_i = Σ_k exp(s_ik − c_i)
/// over k ∉ {i, p(i)}, with a shift c_i chosen as `LogitShift` documents:
/// - τ ≥ 0.025: c = 1/τ for every row. Then E = exp(s − 1/τ) is symmetric too, so one exp per entry
///   serves the row and the column sums, and the backward's A = P + Pᵀ over the negatives is E ⊙ (1/D_i + 1/D_k),
///   D_i being row i's whole denominator.
/// - below: c_i is row i's running maximum, raised tile by tile (online max-and-rescale: Z_i is scaled by
///   exp(c_old − c_new) when a tile holds a larger logit), so no term that matters underflows at any τ; NT-Xent
///   raises it to its positive logit at the end where that is larger, so the positive's term stays ≤ 1.
///   Rows and columns then need their own exp, and A = exp(s − lse_i) + exp(s − lse_k), lse_i = c_i + log D_i.
/// NT-Xent's positive term e_i = exp(s_{i,p(i)} − c_i) joins afterwards, D_i = Z_i + e_i and ℓ_i =
/// `positiveLoss`(Z_i, c_i − s_{i,p(i)}) = log1p(Z_i/e_i), exact when ℓ_i is far below float32's spacing near
/// the logits. DCL and DCLW have D_i = Z_i and ℓ_i = log Z_i + (c_i − w_i s_{i,p(i)}): the log of the negatives'
/// sum over the weighted positive's term, with no 1 + … to lose, taking the gap to the shift first. The backward
/// makes each tile again, dU_I += A·U_K and dU_K += Aᵀ·U_I, then dU −= b·U_p with each image's coefficient b on
/// its positives: 2w for DCL and DCLW, and for NT-Xent its two rows' 1 − P₊ = Z/D (no subtraction from 1, which
/// would keep none of a tiny one), then dU /= Mτ, and dz follows through the L2-normalisation backward.
///
/// Work decomposition: the upper tiles are dealt round-robin to one slot per core. A slot makes its tile with a
/// single-threaded `cblas_sgemm` and reduces it at once with the instruction set's C kernels (`CPUKernels`),
/// into its own per-row (c, Z) pairs and, in the backward, its own partial dU, so cores never share a row;
/// the slots' pairs are merged (log-sum-exp style) after the forward and their dU summed at the end.
/// Writes the loss into `loss` and returns dz.
func contrastiveLossCPU(_ cpu: CPUBackend, _ z: Tensor, method: ContrastiveMethod, temperature: Float,
                        sigma: Float, loss lossOut: Tensor) throws -> Tensor {
    let m = z.shape[0], d = z.shape[1], n = m / 2
    let (u, norms) = try l2Normalize(z)
    let units = UnsafePointer(u.hostPointer)
    let weights = positiveWeights(u.hostPointer, n: n, d: d, method: method, sigma: sigma)
    let fixedShift = LogitShift.fixedShiftIsExact(temperature: temperature)
    func positive(_ i: Int) -> Int { i < n ? i + n : i - n }

    let blocks = stride(from: 0, to: m, by: tileSide).map { ($0, min(tileSide, m - $0)) }
    let upperTiles = blocks.indices.flatMap { a in blocks.indices[a...].map { (blocks[a], blocks[$0]) } }
    let slots = contrastiveSlots(cpu, rows: m), perSlot = tileSide * tileSide + 2 * m
    let scratch = try HostBuffer(count: slots * perSlot + (slots - 1) * m * d, for: "the contrastive loss's tiles")
    let dU = try Tensor(uninitialized: [m, d], on: z.device)
    func tile(_ slot: Int) -> UnsafeMutablePointer<Float> { scratch.pointer + slot * perSlot }
    func shifts(_ slot: Int) -> UnsafeMutablePointer<Float> { tile(slot) + tileSide * tileSide }
    func sums(_ slot: Int) -> UnsafeMutablePointer<Float> { shifts(slot) + m }
    func partialGradient(_ slot: Int) -> UnsafeMutablePointer<Float> {
        slot == 0 ? dU.hostPointer : scratch.pointer + slots * perSlot + (slot - 1) * m * d
    }
    let kernels = cpu.kernels

    /// Fills `s` (row-major, row length `cols`) with the logits of rows i0..<i0+rows × columns k0..<k0+cols, −∞
    /// outside the negatives.
    func makeLogits(_ s: UnsafeMutablePointer<Float>, _ i0: Int, _ rows: Int, _ k0: Int, _ cols: Int) {
        tracedSgemm("contrastive logits",
                    CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(cols), Int32(d), 1 / temperature,
                    units + i0 * d, Int32(d), units + k0 * d, Int32(d), 0, s, Int32(cols))
        for i in i0..<i0 + rows {
            for k in [i, positive(i)] where k >= k0 && k < k0 + cols { s[(i - i0) * cols + k - k0] = -.infinity }
        }
    }
    /// Runs `body(slot, s, tile)` for each slot's tiles, the slots in parallel.
    func forEachTile(_ body: @escaping (Int, UnsafeMutablePointer<Float>, ((Int, Int), (Int, Int))) -> Void) {
        cpu.parallelCallingBLAS((0..<slots).map { $0..<$0 + 1 }) { slot, _ in
            for index in stride(from: slot, to: upperTiles.count, by: slots) {
                body(slot, tile(slot), upperTiles[index])
            }
        }
    }

    for slot in 0..<slots {
        shifts(slot).update(repeating: fixedShift ? 1 / temperature : -.infinity, count: m)
        sums(slot).update(repeating: 0, count: m)
    }
    forEachTile { slot, s, tile in
        let ((i0, rows), (k0, cols)) = tile
        makeLogits(s, i0, rows, k0, cols)
        let mirrored = k0 != i0
        if fixedShift {
            kernels.tile_exp_sums(s, rows, cols, cols, 1 / temperature, sums(slot) + i0, mirrored ? sums(slot) + k0 : nil)
        } else {
            kernels.tile_logsumexp(s, rows, cols, cols, shifts(slot) + i0, sums(slot) + i0,
                                   mirrored ? shifts(slot) + k0 : nil, mirrored ? sums(slot) + k0 : nil)
        }
    }
    let (rowShifts, rowSums) = (shifts(0), sums(0))
    for slot in 1..<slots {
        for i in 0..<m {
            if fixedShift {
                rowSums[i] += sums(slot)[i]
            } else {
                raise(rowShifts + i, rowSums + i, to: shifts(slot)[i])
                if shifts(slot)[i] > -.infinity { rowSums[i] += sums(slot)[i] * exp(shifts(slot)[i] - rowShifts[i]) }
            }
        }
    }
    var loss = 0.0
    // b: each image's coefficient on its positives (above), summed from its two rows for NT-Xent.
    var partnerCoefficients = method == .ntxent ? [Float](repeating: 0, count: n) : weights.map { 2 * $0 }
    for i in 0..<m {
        let positiveLogit = contiguousDot(units + i * d, units + positive(i) * d, count: d) / temperature
        let denominator: Float
        if method == .ntxent {
            if !fixedShift { raise(rowShifts + i, rowSums + i, to: positiveLogit) }
            let gap = rowShifts[i] - positiveLogit
            denominator = rowSums[i] + exp(-gap)
            loss += Double(positiveLoss(negatives: rowSums[i], gap: gap))
            partnerCoefficients[i % n] += rowSums[i] / denominator
        } else {
            denominator = rowSums[i]
            loss += Double(log(denominator) + (rowShifts[i] - weights[i % n] * positiveLogit))
        }
        rowSums[i] = fixedShift ? 1 / denominator : rowShifts[i] + log(denominator)
    }

    let coefficients = UnsafePointer(rowSums)
    for slot in 0..<slots { partialGradient(slot).update(repeating: 0, count: m * d) }
    forEachTile { slot, s, tile in
        let ((i0, rows), (k0, cols)) = tile
        makeLogits(s, i0, rows, k0, cols)
        if fixedShift {
            kernels.tile_exp_scale(s, rows, cols, cols, 1 / temperature, coefficients + i0, coefficients + k0)
        } else {
            kernels.tile_two_softmaxes(s, rows, cols, cols, coefficients + i0, coefficients + k0)
        }
        let gradient = partialGradient(slot)
        tracedSgemm("contrastive gradient",
                    CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(d), Int32(cols), 1,
                    s, Int32(cols), units + k0 * d, Int32(d), 1, gradient + i0 * d, Int32(d))
        if k0 != i0 {
            tracedSgemm("contrastive gradient transposed",
                        CblasRowMajor, CblasTrans, CblasNoTrans, Int32(cols), Int32(d), Int32(rows), 1,
                        s, Int32(cols), units + i0 * d, Int32(d), 1, gradient + k0 * d, Int32(d))
        }
    }
    let scale = 1 / (Float(m) * temperature), gradient = dU.hostPointer
    cpu.parallelFor(m, work: m * d * slots) { range in
        for i in range {
            let coefficient = partnerCoefficients[i % n], partner = units + positive(i) * d, row = gradient + i * d
            for slot in 1..<slots {
                let partial = partialGradient(slot) + i * d
                for c in 0..<d { row[c] += partial[c] }
            }
            for c in 0..<d { row[c] = (row[c] - coefficient * partner[c]) * scale }
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

/// Raises a running shift to `peak` if that is larger, rescaling its partial sum to the new shift.
private func raise(_ shift: UnsafeMutablePointer<Float>, _ sum: UnsafeMutablePointer<Float>, to peak: Float) {
    guard peak > shift.pointee else { return }
    sum.pointee *= exp(shift.pointee - peak)
    shift.pointee = peak
}
