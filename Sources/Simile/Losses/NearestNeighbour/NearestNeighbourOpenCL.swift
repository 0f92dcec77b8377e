/// Bytes the OpenCL nearest-neighbour search allocates on the device besides its inputs: û and its norms,
/// the packed queries, the per-row results and the support's inverse row norms.
public func nearestNeighboursExtraBytes(rows n: Int, supportRows k: Int, features d: Int, kernel: GemmKernel,
                                        on device: CLDeviceInfo) -> Int {
    MemoryBankVariant(kernel, device: device).extraBytes(rows: n, features: d)
        + (n * d + n + k) * MemoryLayout<Float>.stride
}

/// The fused OpenCL search: one sweep of `nearest_blocks` over the support rows keeps each query row's running
/// max and argmax (see memory_bank_blocked_cpu.cl), enqueued and left on the device. `operands` are u and the
/// support, named for the errors: their `FiniteCheck` slots follow the similarities in one buffer, so that `read()`
/// brings both back at once.
func nearestNeighboursOpenCL(_ cl: OpenCLBackend, _ operands: [(name: String, tensor: Tensor)],
                             kernel: GemmKernel) throws -> DeviceNearestNeighbours {
    let u = operands[0].tensor, support = operands[1].tensor, n = u.shape[0]
    let variant = MemoryBankVariant(kernel, device: cl.info)
    let rows = variant.paddedRows(n)
    let best = try Tensor(uninitialized: [rows + operands.count * FiniteCheck.slotsPerOperand], on: u.device)
    try FiniteCheck.run(operands.map(\.tensor), into: best, at: rows)
    let units = try l2Normalize(u).y
    let inverseNorms = try inverseRowNorms(support)
    let packed = try variant.packQueries(cl, units)
    let index = try Tensor(uninitialized: [rows], on: u.device)
    try variant.sweep(cl, "nearest_blocks", rows: n, packed: packed, bank: support, inverseNorms: inverseNorms,
                      [.buffer(best.clBuffer), .buffer(index.clBuffer)])
    return DeviceNearestNeighbours(indices: RowIndices(computed: try index.prefix([n]), rows: support.shape[0]),
                                   similarities: try best.prefix([n]), storage: best, checkOffset: rows,
                                   names: operands.map(\.name))
}
