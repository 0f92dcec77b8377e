import Kernels

/// Row numbers of a bank (a K × d matrix: InstDisc's and PIRL's memory bank, NNCLR's support queue), resident on a
/// device so that kernels read them without a host round trip. Stored as float32 values, exact for integers below
/// 2²⁴: a bank may have up to 16,777,216 rows. Made from host numbers, each checked against the bank's rows.
public struct RowIndices {
    /// The numbers, shape [N].
    public let values: Tensor
    /// The bank rows they were checked against: every number is in 0 ..< rows.
    public let rows: Int

    public static let largestBank = 1 << 24

    /// `indices` on `device`, each in 0 ..< `rows`; an error naming the first one outside.
    public init(_ indices: [Int], rows: Int, on device: Device) throws {
        guard (0...Self.largestBank).contains(rows) else {
            throw SimileError.invalidArgument("RowIndices: a bank of \(rows) rows; row numbers are exact float32 "
                                              + "integers, so a bank may have 0 to \(Self.largestBank) rows")
        }
        if let (position, index) = indices.enumerated().first(where: { !(0..<rows).contains($0.element) }) {
            throw SimileError.invalidArgument("RowIndices: index \(index) at position \(position) is outside the "
                                              + "bank's \(rows) rows")
        }
        values = try Tensor(indices.map(Float.init), shape: [indices.count], on: device)
        self.rows = rows
    }

    /// Numbers a device op wrote, each in 0 ..< `rows` by its construction (`nearestNeighbourRows`).
    init(computed values: Tensor, rows: Int) {
        (self.values, self.rows) = (values, rows)
    }

    var count: Int { values.count }
}

/// The rows of `bank` [K, d] that `indices` name, as a new [N, d] tensor: out[j] = bank[indices[j]].
public func gatherRows(_ bank: Tensor, _ indices: RowIndices) throws -> Tensor {
    let op = "gatherRows"
    try requireBank(op, bank, indices)
    let d = bank.shape[1]
    let out = try Tensor(uninitialized: [indices.count, d], on: bank.device)
    guard out.count > 0 else { return out }
    switch bank.device.backend {
    case .cpu:
        let rows = indices.values.hostPointer
        for j in 0..<indices.count {
            (out.hostPointer + j * d).update(from: bank.hostPointer + Int(rows[j]) * d, count: d)
        }
    case .opencl(let cl):
        try cl.launch(try cl.kernel("gather_rows", program: "bank_rows", source: KernelSource.bankRows),
                      name: "gather_rows", global: [d, indices.count],
                      [.buffer(bank.clBuffer), .buffer(indices.values.clBuffer), .int(d), .buffer(out.clBuffer)])
    }
    return out
}

/// For each j in order, bank[indices[j]] ← normalise(momentum · bank[indices[j]] + (1 − momentum) · values[j]), in
/// place: InstDisc's and PIRL's memory-bank update (F.normalize's ε of 1e-12). A row named twice takes both updates,
/// in order. `values` is [N, d] for a bank [K, d]; momentum lies in [0, 1].
public func momentumUpdateRows(_ bank: Tensor, _ indices: RowIndices, values: Tensor, momentum: Float) throws {
    let op = "momentumUpdateRows"
    try requireBank(op, bank, indices)
    try requireSameDevice(op, bank, values)
    let d = bank.shape[1]
    guard values.shape == [indices.count, d] else {
        throw SimileError.shapeMismatch(op: op, detail: "values must be [N, d] = [\(indices.count), \(d)] for "
                                        + "\(indices.count) indices into a bank \(bank.shape), got \(values.shape)")
    }
    guard momentum.isFinite, (0...1).contains(momentum) else {
        throw SimileError.invalidArgument("\(op): momentum must be in [0, 1], got \(momentum)")
    }
    guard values.count > 0 else { return }
    switch bank.device.backend {
    case .cpu:
        let rows = indices.values.hostPointer
        for j in 0..<indices.count {
            let m = bank.hostPointer + Int(rows[j]) * d, v = values.hostPointer + j * d
            var squares: Float = 0
            for c in 0..<d {
                m[c] = momentum * m[c] + (1 - momentum) * v[c]
                squares += m[c] * m[c]
            }
            let scale = 1 / max(squares.squareRoot(), 1e-12)
            for c in 0..<d { m[c] *= scale }
        }
    case .opencl(let cl):
        try cl.launch(try cl.kernel("momentum_update_rows", program: "bank_rows", source: KernelSource.bankRows),
                      name: "momentum_update_rows", global: [indices.count],
                      [.buffer(bank.clBuffer), .buffer(indices.values.clBuffer), .int(indices.count), .int(d),
                       .buffer(values.clBuffer), .float(momentum)])
    }
}

/// A bank is a 2-D tensor on the indices' device with at least as many rows as they were checked against.
private func requireBank(_ op: String, _ bank: Tensor, _ indices: RowIndices) throws {
    try requireRank(op, bank, 2, name: "bank")
    try requireSameDevice(op, bank, indices.values)
    guard indices.rows <= bank.shape[0] else {
        throw SimileError.shapeMismatch(op: op, detail: "indices checked against \(indices.rows) rows index a bank "
                                        + "\(bank.shape)")
    }
}
