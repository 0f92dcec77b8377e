import Kernels

/// The collapse statistic of SimSiam's paper and lightly's `std_of_l2_normalized`: each row of z [N, d] normalised to
/// unit L2 norm (ẑ = z / max(‖z‖, 1e-12), `l2Normalize`), the unbiased standard deviation of each column of ẑ over
/// the N rows (N − 1 in the denominator, as torch.std), averaged over the d columns:
///   s = (1/d) Σ_k sqrt(Σ_i (ẑ_ik − m_k)² / (N − 1)),  m_k = (1/N) Σ_i ẑ_ik.
/// About 1/√d for embeddings spread over the sphere, 0 when every row points the same way (collapse). Returns a
/// one-element tensor [1] on z's device, enqueued only (NaN where z holds a non-finite value). N ≥ 2 is required.
/// The column deviations take two passes (mean, then centred squares), so a collapsed batch reads as 0, not as the
/// cancellation noise of Σ ẑ² − N m²; `mean` averages them.
public func normalizedEmbeddingStd(_ z: Tensor) throws -> Tensor {
    let op = "normalizedEmbeddingStd"
    try requireRank(op, z, 2, name: "z")
    guard z.shape[0] >= 2 else {
        throw SimileError.invalidArgument("\(op): a standard deviation over rows needs at least 2 rows, got z \(z.shape)")
    }
    guard z.shape[1] >= 1 else { throw SimileError.invalidArgument("\(op): z has no columns (shape \(z.shape))") }
    try requireKernelSizes(op, z.shape, name: "z")
    let units = try l2Normalize(z).y
    let rows = z.shape[0], cols = z.shape[1]
    let deviations = try Tensor(uninitialized: [cols], on: z.device)
    switch z.device.backend {
    case .cpu(let cpu):
        columnStdCPU(cpu, units.hostPointer, rows: rows, cols: cols, into: deviations.hostPointer)
    case .opencl(let cl):
        let kernel = try cl.kernel("column_std", program: "column_std", source: KernelSource.columnStd)
        try cl.launch(kernel, name: "column_std", global: [cols], local: nil,
                      [.buffer(units.clBuffer), .int(rows), .int(cols), .buffer(deviations.clBuffer)])
    }
    return try mean(deviations)
}

/// column_std.cl's two passes on the CPU, in parallel over ranges of columns; each range walks the rows in the outer
/// loop, so that its inner loop runs along a row.
private func columnStdCPU(_ cpu: CPUBackend, _ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int,
                          into std: UnsafeMutablePointer<Float>) {
    cpu.parallelFor(cols, work: 2 * rows * cols) { range in
        let first = range.lowerBound, width = range.count
        var means = [Float](repeating: 0, count: width), squares = [Float](repeating: 0, count: width)
        for i in 0..<rows {
            for k in 0..<width { means[k] += y[i * cols + first + k] }
        }
        for k in 0..<width { means[k] /= Float(rows) }
        for i in 0..<rows {
            for k in 0..<width {
                let deviation = y[i * cols + first + k] - means[k]
                squares[k] += deviation * deviation
            }
        }
        for k in 0..<width { std[first + k] = (squares[k] / Float(rows - 1)).squareRoot() }
    }
}
