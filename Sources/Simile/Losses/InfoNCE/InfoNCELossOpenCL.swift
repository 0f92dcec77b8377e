import Kernels

/// Bytes the OpenCL InfoNCE allocates on the device besides its inputs and the two gradients it returns:
/// q̂, k̂ and their gradients (N·d each), the packed queries and G (N·d each, padded), the norms and loss terms
/// (N each), the partition sums and running shifts (N each, padded), the bank's inverse row norms (K), and the
/// terms' mean with its partial sums (at most 257).
public func infoNCELossExtraBytes(rows n: Int, bankRows k: Int, features d: Int, kernel: GemmKernel,
                                  on device: CLDeviceInfo) -> Int {
    MemoryBankVariant(kernel, device: device).extraBytes(rows: n, features: d)
        + (4 * n * d + 3 * n + k + 257) * MemoryLayout<Float>.stride
}

/// How far a row's largest logit may exceed its running shift before the kernels rescale (see
/// memory_bank_blocked_cpu.cl): terms stay ≤ e^40, so Z, G and E·inv (inv ≤ 1e12) stay finite for K < 2³¹, and
/// since logits span at most 2/τ, no rescale happens for τ ≥ 0.05. Without it (a rescale whenever some row's
/// maximum rose) InfoNCE ran up to ~14 % slower than with the fixed shift 1/τ at N = 4096, K = 4096, τ = 0.1 on
/// PoCL; with it, 0–6 % in the medians of interleaved runs, within the noise of the shared 2-core machine.
private let rescaleSlack: Float = 40

/// The fused OpenCL InfoNCE: `infonce_positive` starts each query row's running shift M_i at its positive logit,
/// one sweep of `infonce_blocks` over the bank makes its partition sum Z_i and G_i = Σ_j E_ij b̂_j relative to M_i,
/// raising M_i and rescaling Z_i and G_i when a logit exceeds M_i + `rescaleSlack` (see memory_bank_blocked_cpu.cl;
/// exact for every τ ≥ `LogitShift.minimumTemperature`, and one path for every τ: at τ ≥ 0.05 the shift never rises
/// and costs a compare per logit), `infonce_finish` turns them into the loss terms and dq̂, dk̂ (`keyInBank`: see
/// `bankSoftmaxLoss`), and the
/// normalisation backward gives dq and dk. The mean of the loss terms (reduce.cl's pairwise sum) is copied into
/// the one-element `loss`; everything is enqueued, and dq and dk are returned.
func infoNCELossOpenCL(_ cl: OpenCLBackend, queries: Tensor, keys: Tensor, bank: Tensor, temperature: Float,
                       keyInBank: Bool, kernel: GemmKernel, loss: Tensor) throws -> (queries: Tensor, keys: Tensor) {
    let n = queries.shape[0], d = queries.shape[1]
    let variant = MemoryBankVariant(kernel, device: cl.info)
    let (queryUnits, queryNorms) = try l2Normalize(queries)
    let (keyUnits, keyNorms) = try l2Normalize(keys)
    let inverseNorms = try inverseRowNorms(bank)
    let packed = try variant.packQueries(cl, queryUnits)
    let rows = variant.paddedRows(n), inverseTemperature = 1 / temperature
    let g = try cl.pool.buffer(bytes: rows * d * MemoryLayout<Float>.stride)
    let z = try cl.pool.buffer(bytes: rows * MemoryLayout<Float>.stride)
    let shifts = try cl.pool.buffer(bytes: rows * MemoryLayout<Float>.stride)
    let positive = try cl.kernel("infonce_positive", program: "memory_bank", source: KernelSource.memoryBank)
    try cl.launch(positive, name: "infonce_positive", global: [rows],
                  [.buffer(queryUnits.clBuffer), .buffer(keyUnits.clBuffer), .int(n), .int(d),
                   .float(inverseTemperature), .buffer(shifts)])
    try variant.sweep(cl, "infonce_blocks", rows: n, packed: packed, bank: bank, inverseNorms: inverseNorms,
                      [.float(inverseTemperature), .float(rescaleSlack), .buffer(g), .buffer(z), .buffer(shifts)])

    let terms = try Tensor(uninitialized: [n], on: queries.device)
    let dQ = try Tensor(uninitialized: [n, d], on: queries.device), dK = try Tensor(uninitialized: [n, d], on: queries.device)
    let finish = try cl.kernel("infonce_finish", program: "memory_bank", source: KernelSource.memoryBank)
    try cl.launch(finish, name: "infonce_finish", global: [n],
                  [.buffer(queryUnits.clBuffer), .buffer(keyUnits.clBuffer), .buffer(g), .int(variant.panelWidth(rows: n)),
                   .buffer(z), .buffer(shifts), .int(d), .float(inverseTemperature),
                   .float(1 / (Float(n) * temperature)), .int(keyInBank ? 1 : 0),
                   .buffer(terms.clBuffer), .buffer(dQ.clBuffer), .buffer(dK.clBuffer)])
    try cl.copy(mean(terms).clBuffer, to: loss.clBuffer, count: 1)
    return (try l2NormalizeBackward(y: queryUnits, norms: queryNorms, gradient: dQ),
            try l2NormalizeBackward(y: keyUnits, norms: keyNorms, gradient: dK))
}
