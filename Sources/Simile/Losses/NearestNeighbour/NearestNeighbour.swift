/// The nearest neighbours of N rows in a support bank, on the host.
public struct NearestNeighbours: Equatable {
    /// For each row of u, the index of its most similar support row (the lowest index among exact ties).
    public let indices: [Int]
    /// The cosine similarity of each row of u with that support row.
    public let similarities: [Float]
}

/// For each row of u (N × d), the most similar row of `support` (K × d) by cosine similarity, as NNCLR picks the
/// positive of each embedding from its support set. Both are L2-normalised inside (F.normalize semantics);
/// the N × K similarity matrix is never stored: tiles of it are reduced to a running max and argmax as they
/// are made, so extra memory is O(N·d + K) plus a bounded tile. The results come back to the host as arrays,
/// since the caller indexes the support bank with them. A non-finite element of u or the support is an error
/// ("nearestNeighbours: support[row, col] is nan; the input must be finite"): checked by a host loop on the CPU
/// before the search, and on OpenCL on the device, its result read back with the search's.
/// `kernel` forces an OpenCL variant; by default the device type picks it.
public func nearestNeighbours(of u: Tensor, in support: Tensor,
                              kernel: GemmKernel? = nil) throws -> NearestNeighbours {
    let operands: [(name: String, tensor: Tensor)] = [("u", u), ("support", support)]
    try validateBankOperands("nearestNeighbours", operands)
    switch u.device.backend {
    case .cpu(let cpu):
        try FiniteCheck.require("nearestNeighbours", operands)
        return try nearestNeighboursCPU(cpu, of: u, in: support)
    case .opencl(let cl):
        return try nearestNeighboursOpenCL(cl, operands, kernel: kernel ?? .preferred(for: cl.info.type))
    }
}
