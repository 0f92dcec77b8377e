/// The nearest neighbours of N rows in a support bank, read back to the host.
public struct NearestNeighbours: Equatable {
    /// For each row of u, the index of its most similar support row (the lowest index among exact ties).
    public let indices: [Int]
    /// The cosine similarity of each row of u with that support row.
    public let similarities: [Float]
}

/// The nearest neighbours of N rows in a support bank, left on the device: `indices` feed `gatherRows` without a
/// host round trip (NNCLR's positives), and `read()` brings everything back with the inputs' finite check.
public struct DeviceNearestNeighbours {
    /// For each row of u, the row of its most similar support row (the lowest among exact ties). When an input was
    /// not finite they are still rows of the support (comparisons with NaN fail, so a row keeps its first row), and
    /// `read()` reports the input.
    public let indices: RowIndices
    /// The cosine similarity of each row of u with that support row, shape [N].
    public let similarities: Tensor
    /// The similarities' storage: padded rows, then the inputs' `FiniteCheck` slots from element `checkOffset`.
    let storage: Tensor
    let checkOffset: Int
    let names: [String]

    /// Indices and similarities on the host, in one blocking read with the check that u and the support were
    /// finite; throws "nearestNeighbours: support[row, col] is nan; the input must be finite" when one was not.
    public func read() throws -> NearestNeighbours {
        let values = try checkedValues()
        return NearestNeighbours(indices: try indices.values.toArray().map { Int($0) },
                                 similarities: Array(values[..<indices.count]))
    }

    /// Only the check that u and the support were finite (one read, without the indices): for a caller that keeps
    /// the results on the device (NNCLR's loss).
    public func requireFiniteInputs() throws {
        _ = try checkedValues()
    }

    /// The storage on the host, once its finite check has passed.
    private func checkedValues() throws -> [Float] {
        let values = try storage.toArray()
        if let error = FiniteCheck.error("nearestNeighbours", names: names, slots: values[checkOffset...]) {
            throw error
        }
        return values
    }
}

/// For each row of u (N × d), the most similar row of `support` (K × d) by cosine similarity, as NNCLR picks the
/// positive of each embedding from its support set, left on u's device (nothing waits for it). Both are
/// L2-normalised inside (F.normalize semantics); the N × K similarity matrix is never stored: tiles of it are reduced
/// to a running max and argmax as they are made, so extra memory is O(N·d + K) plus a bounded tile. The support may
/// have up to `RowIndices.largestBank` rows. Shapes are checked here; that u and the support are finite is checked
/// beside the search and reported by `read()`. `kernel` forces an OpenCL variant; by default the device type picks it.
public func nearestNeighbourRows(of u: Tensor, in support: Tensor,
                                 kernel: GemmKernel? = nil) throws -> DeviceNearestNeighbours {
    let operands: [(name: String, tensor: Tensor)] = [("u", u), ("support", support)]
    try validateBankOperands("nearestNeighbours", operands)
    guard support.shape[0] <= RowIndices.largestBank else {
        throw SimileError.invalidArgument("nearestNeighbours: support has \(support.shape[0]) rows; row numbers are "
                                          + "exact float32 integers, so at most \(RowIndices.largestBank)")
    }
    switch u.device.backend {
    case .cpu(let cpu):
        return try nearestNeighboursCPU(cpu, operands)
    case .opencl(let cl):
        return try nearestNeighboursOpenCL(cl, operands, kernel: kernel ?? .preferred(for: cl.info.type))
    }
}

/// `nearestNeighbourRows` read back to the host: one blocking read, which throws when u or the support was not
/// finite ("nearestNeighbours: support[row, col] is nan; the input must be finite").
public func nearestNeighbours(of u: Tensor, in support: Tensor,
                              kernel: GemmKernel? = nil) throws -> NearestNeighbours {
    try nearestNeighbourRows(of: u, in: support, kernel: kernel).read()
}
