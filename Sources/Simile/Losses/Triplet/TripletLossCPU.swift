import CBLAS

/// Anchors per similarity block of the CPU path: a block is 256 × M floats (1 MiB at M = 1024).
private let blockRows = 256

/// The CPU triplet loss on unit rows U [M, d]: blocks S = U[i0 ..< i0 + 256] Uᵀ by `cblas_sgemm`, each row reduced
/// to its positive's similarity and its mined negative (threaded over the block's rows) and dropped; then the loss
/// into `loss` and dL/dU, returned: with w_a = 2/M for an active triplet (hinge > 0), else 0,
///
///     dU_r = w_r U_{n(r)} − (w_r + w_{p(r)}) U_{p(r)} + Σ_{a : n(a) = r} w_a U_a.
func tripletLossCPU(_ cpu: CPUBackend, units: Tensor, margin: Float, mining: TripletMining,
                    loss: Tensor) throws -> Tensor {
    let (m, d) = (units.shape[0], units.shape[1]), u = units.hostPointer
    let block = try HostBuffer(count: min(blockRows, m) * m), s = block.pointer
    var negative = [Int](repeating: 0, count: m)
    var similarity = [(positive: Float, negative: Float)](repeating: (0, 0), count: m)
    for i0 in stride(from: 0, to: m, by: blockRows) {
        let rows = min(blockRows, m - i0)
        tracedSgemm("triplet mining", CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(m), Int32(d), 1,
                    u + i0 * d, Int32(d), u, Int32(d), 0, s, Int32(m))
        negative.withUnsafeMutableBufferPointer { negative in
            similarity.withUnsafeMutableBufferPointer { similarity in
                cpu.parallelFor(rows, work: rows * m) { range in
                    for r in range {
                        let (i, row) = (i0 + r, s + r * m)
                        let p = (i + m / 2) % m
                        var candidates = TripletCandidates()
                        for j in 0..<m where j != i && j != p { candidates.consider(j, row[j], positive: row[p]) }
                        let chosen = candidates.negative(mining)
                        (negative[i], similarity[i]) = (chosen.row, (row[p], chosen.s))
                    }
                }
            }
        }
    }
    var total = 0.0
    let weights = similarity.map { pair -> Float in
        let hinge = 2 * (pair.negative - pair.positive) + margin
        guard hinge > 0 else { return 0 }
        total += Double(hinge)
        return 2 / Float(m)
    }
    loss.hostPointer[0] = Float(total / Double(m))
    let gradient = try Tensor.zeros([m, d], on: units.device), g = gradient.hostPointer
    for r in 0..<m {
        let p = (r + m / 2) % m, (near, pair) = (u + negative[r] * d, u + p * d)
        let (w, both) = (weights[r], weights[r] + weights[p])
        for c in 0..<d { g[r * d + c] = w * near[c] - both * pair[c] }
    }
    for a in 0..<m where weights[a] != 0 {
        let target = g + negative[a] * d
        for c in 0..<d { target[c] += weights[a] * u[a * d + c] }
    }
    return gradient
}
