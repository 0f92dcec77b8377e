import CBLAS

/// Rows and columns of the CPU search's similarity tile (1 MiB).
private let tileRows = 256, tileColumns = 1024

/// Bytes the CPU nearest-neighbour search allocates besides its inputs and results: û and its norms,
/// the support's inverse row norms and one tile.
public func nearestNeighboursExtraBytes(rows n: Int, supportRows k: Int, features d: Int) -> Int {
    (n * d + n + k + tileRows * tileColumns) * MemoryLayout<Float>.stride
}

/// The fused CPU search: tiles T = û S_Jᵀ by `cblas_sgemm` against the raw support rows, then in one pass
/// per tile row the cosines T ⊙ inv_J and their max and first argmax, folded into the row's running best
/// (bank blocks are visited in order and only a strictly larger value replaces the best, so ties keep the
/// lowest index). The pass is split over the tile's rows. The inputs' finite check is stored after the similarities,
/// as on OpenCL.
func nearestNeighboursCPU(_ cpu: CPUBackend, _ operands: [(name: String, tensor: Tensor)]) throws
    -> DeviceNearestNeighbours {
    let u = operands[0].tensor, support = operands[1].tensor
    let n = u.shape[0], d = u.shape[1], k = support.shape[0]
    let storage = try Tensor(uninitialized: [n + operands.count * FiniteCheck.slotsPerOperand], on: u.device)
    try FiniteCheck.run(operands.map(\.tensor), into: storage, at: n)
    let indices = try Tensor.zeros([n], on: u.device)
    let units = try l2Normalize(u).y
    let inverseNorms = try inverseRowNorms(support)
    let x = units.hostPointer, s = support.hostPointer, inverse = inverseNorms.hostPointer
    let tile = try HostBuffer(count: tileRows * tileColumns), t = tile.pointer
    let best = storage.hostPointer, index = indices.hostPointer
    best.update(repeating: -.infinity, count: n)
    for j0 in stride(from: 0, to: k, by: tileColumns) {
        let cols = min(tileColumns, k - j0)
        for i0 in stride(from: 0, to: n, by: tileRows) {
            let rows = min(tileRows, n - i0)
            tracedSgemm("nearest neighbour",
                        CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(cols), Int32(d), 1,
                        x + i0 * d, Int32(d), s + j0 * d, Int32(d), 0, t, Int32(cols))
            cpu.parallelFor(rows, work: rows * cols) { range in
                for r in range {
                    let (value, column) = rowArgmax(t + r * cols, scales: inverse + j0, count: cols)
                    if value > best[i0 + r] { (best[i0 + r], index[i0 + r]) = (value, Float(j0 + column)) }
                }
            }
        }
    }
    return DeviceNearestNeighbours(indices: RowIndices(computed: indices, rows: k), similarities: try storage.prefix([n]),
                                   storage: storage, checkOffset: n, names: operands.map(\.name))
}

/// The largest row[j]·scales[j] over j < count and its lowest j, sixteen lanes at a time: each lane keeps its
/// first maximum, then the lanes' maxima are merged preferring the lower index.
private func rowArgmax(_ row: UnsafePointer<Float>, scales: UnsafePointer<Float>, count: Int) -> (Float, Int) {
    var best = SIMD16<Float>(repeating: -.infinity), firsts = SIMD16<Int32>(repeating: 0)
    var lane = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), i = 0
    while i + 16 <= count {
        let value = UnsafeRawPointer(row + i).loadUnaligned(as: SIMD16<Float>.self)
            * UnsafeRawPointer(scales + i).loadUnaligned(as: SIMD16<Float>.self)
        let better = value .> best
        best.replace(with: value, where: better)
        firsts.replace(with: lane, where: better)
        lane &+= 16
        i += 16
    }
    var value = -Float.infinity, column = 0
    for l in 0..<16 where best[l] > value || (best[l] == value && Int(firsts[l]) < column) {
        (value, column) = (best[l], Int(firsts[l]))
    }
    for j in i..<count where row[j] * scales[j] > value { (value, column) = (row[j] * scales[j], j) }
    return (value, column)
}
