import Kernels

/// Bytes the OpenCL InfoNCE allocates on the device besides its inputs and the two gradients it returns:
/// q̂, k̂ and their gradients (N·d each), the packed queries and G (N·d each, padded), the norms, partition
/// sums and loss terms (N each) and the bank's inverse row norms (K).
public func infoNCELossExtraBytes(rows n: Int, bankRows k: Int, features d: Int, kernel: GemmKernel,
                                  on device: CLDeviceInfo) -> Int {
    MemoryBankVariant(kernel, device: device).extraBytes(rows: n, features: d)
        + (4 * n * d + 3 * n + k) * MemoryLayout<Float>.stride
}

/// The fused OpenCL InfoNCE: one sweep of `infonce_blocks` over the bank makes each query row's partition sum Z_i
/// and G_i = Σ_j E_ij b̂_j (see memory_bank_blocked_cpu.cl), `infonce_finish` turns them into the loss terms and
/// dq̂, dk̂, and the normalisation backward gives dq and dk. The loss terms are summed on the host in float64.
func infoNCELossOpenCL(_ cl: OpenCLBackend, queries: Tensor, keys: Tensor, bank: Tensor, temperature: Float,
                       kernel: GemmKernel) throws -> InfoNCEResult {
    let n = queries.shape[0], d = queries.shape[1]
    let variant = MemoryBankVariant(kernel, device: cl.info)
    let (queryUnits, queryNorms) = try l2Normalize(queries)
    let (keyUnits, keyNorms) = try l2Normalize(keys)
    let inverseNorms = try inverseRowNorms(bank)
    let packed = try variant.packQueries(cl, queryUnits)
    let g = try cl.pool.buffer(bytes: variant.paddedRows(n) * d * MemoryLayout<Float>.stride)
    let z = try cl.pool.buffer(bytes: variant.paddedRows(n) * MemoryLayout<Float>.stride)
    try variant.sweep(cl, "infonce_blocks", rows: n, packed: packed, bank: bank, inverseNorms: inverseNorms,
                      [.float(1 / temperature), .buffer(g), .buffer(z)])

    let terms = try Tensor(uninitialized: [n], on: queries.device)
    let dQ = try Tensor(uninitialized: [n, d], on: queries.device), dK = try Tensor(uninitialized: [n, d], on: queries.device)
    let finish = try cl.kernel("infonce_finish", program: "memory_bank", source: KernelSource.memoryBank)
    try cl.launch(finish, name: "infonce_finish", global: [n],
                  [.buffer(queryUnits.clBuffer), .buffer(keyUnits.clBuffer), .buffer(g), .int(variant.panelWidth(rows: n)),
                   .buffer(z), .int(d), .float(1 / temperature), .float(1 / (Float(n) * temperature)),
                   .buffer(terms.clBuffer), .buffer(dQ.clBuffer), .buffer(dK.clBuffer)])
    let loss = try terms.toArray().reduce(0.0) { $0 + Double($1) } / Double(n)
    return InfoNCEResult(loss: Float(loss),
                         queryGradient: try l2NormalizeBackward(y: queryUnits, norms: queryNorms, gradient: dQ),
                         keyGradient: try l2NormalizeBackward(y: keyUnits, norms: keyNorms, gradient: dK))
}
