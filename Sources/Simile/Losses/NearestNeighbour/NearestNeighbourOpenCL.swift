/// Bytes the OpenCL nearest-neighbour search allocates on the device besides its inputs: û and its norms,
/// the packed queries, the per-row results and the support's inverse row norms.
public func nearestNeighboursExtraBytes(rows n: Int, supportRows k: Int, features d: Int, kernel: GemmKernel,
                                        on device: CLDeviceInfo) -> Int {
    MemoryBankVariant(kernel, device: device).extraBytes(rows: n, features: d)
        + (n * d + n + k) * MemoryLayout<Float>.stride
}

/// The fused OpenCL search: one sweep of `nearest_blocks` over the support rows keeps each query row's running
/// max and argmax (see memory_bank_blocked_cpu.cl); the N results are read back to the host. `operands` are u and
/// the support, named for the errors: their `FiniteCheck` slots follow the similarities in one buffer, so they come
/// back with the similarities' read and the result is refused when an input was not finite.
func nearestNeighboursOpenCL(_ cl: OpenCLBackend, _ operands: [(name: String, tensor: Tensor)],
                             kernel: GemmKernel) throws -> NearestNeighbours {
    let u = operands[0].tensor, support = operands[1].tensor, n = u.shape[0]
    let variant = MemoryBankVariant(kernel, device: cl.info)
    let rows = variant.paddedRows(n)
    let best = try Tensor(uninitialized: [rows + operands.count * FiniteCheck.slotsPerOperand], on: u.device)
    try FiniteCheck.run(operands.map(\.tensor), into: best, at: rows)
    let units = try l2Normalize(u).y
    let inverseNorms = try inverseRowNorms(support)
    let packed = try variant.packQueries(cl, units)
    let index = try cl.pool.buffer(bytes: rows * MemoryLayout<Int32>.stride)
    try variant.sweep(cl, "nearest_blocks", rows: n, packed: packed, bank: support, inverseNorms: inverseNorms,
                      [.buffer(best.clBuffer), .buffer(index)])
    let bestAndChecks = try best.toArray()
    if let error = FiniteCheck.error("nearestNeighbours", names: operands.map(\.name), slots: bestAndChecks[rows...]) {
        throw error
    }
    var indexBits = [Float](repeating: 0, count: n)
    try cl.read(index, count: n, into: &indexBits)
    return NearestNeighbours(indices: indexBits.map { Int(Int32(bitPattern: $0.bitPattern)) },
                             similarities: Array(bestAndChecks[..<n]))
}
