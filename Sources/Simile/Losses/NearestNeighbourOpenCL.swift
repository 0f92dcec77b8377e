/// Bytes the OpenCL nearest-neighbour search allocates on the device besides its inputs: û and its norms,
/// the packed queries, the per-row results and the support's inverse row norms.
public func nearestNeighboursExtraBytes(rows n: Int, supportRows k: Int, features d: Int, kernel: GemmKernel,
                                        on device: CLDeviceInfo) -> Int {
    MemoryBankVariant(kernel, device: device).extraBytes(rows: n, features: d)
        + (n * d + n + k) * MemoryLayout<Float>.stride
}

/// The fused OpenCL search: one sweep of `nearest_blocks` over the support rows keeps each query row's running
/// max and argmax (see memory_bank_blocked_cpu.cl); the N results are read back to the host.
func nearestNeighboursOpenCL(_ cl: OpenCLBackend, of u: Tensor, in support: Tensor,
                             kernel: GemmKernel) throws -> NearestNeighbours {
    let n = u.shape[0]
    let variant = MemoryBankVariant(kernel, device: cl.info)
    let units = try l2Normalize(u).y
    let inverseNorms = try inverseRowNorms(support)
    let packed = try variant.packQueries(cl, units)
    let rows = variant.paddedRows(n)
    let best = try cl.pool.buffer(bytes: rows * MemoryLayout<Float>.stride)
    let index = try cl.pool.buffer(bytes: rows * MemoryLayout<Int32>.stride)
    try variant.sweep(cl, "nearest_blocks", rows: n, packed: packed, bank: support, inverseNorms: inverseNorms,
                      [.buffer(best), .buffer(index)])
    var similarities = [Float](repeating: 0, count: n), indexBits = [Float](repeating: 0, count: n)
    try cl.read(best, count: n, into: &similarities)
    try cl.read(index, count: n, into: &indexBits)
    return NearestNeighbours(indices: indexBits.map { Int(Int32(bitPattern: $0.bitPattern)) },
                             similarities: similarities)
}
