/// destination[at ..< at + count] = source[from ..< from + count], whole rows of two 2-D tensors with the same
/// number of columns on one device: MoCo's queue takes a batch of keys this way. Rows are contiguous in row-major
/// order, so each copy is one block: `clEnqueueCopyBuffer` on OpenCL (enqueued, not waited for), one memory copy on
/// the CPU. The two may be the same tensor when the ranges do not overlap.
public func copyRows(_ source: Tensor, from: Int, count: Int, into destination: Tensor, at: Int) throws {
    let op = "copyRows"
    try requireRank(op, source, 2, name: "source")
    try requireRank(op, destination, 2, name: "destination")
    try requireSameDevice(op, source, destination)
    let columns = source.shape[1]
    guard destination.shape[1] == columns else {
        throw SimileError.shapeMismatch(op: op, detail: "source \(source.shape) and destination \(destination.shape) "
                                        + "differ in columns")
    }
    guard count >= 0, from >= 0, at >= 0, from <= source.shape[0], count <= source.shape[0] - from,
          at <= destination.shape[0], count <= destination.shape[0] - at else {
        throw SimileError.invalidArgument("\(op): rows \(from)..<\(from + count) of \(source.shape) into rows "
                                          + "\(at)..<\(at + count) of \(destination.shape) are out of range")
    }
    if source === destination, count > 0, max(from, at) < min(from, at) + count {
        throw SimileError.invalidArgument("\(op): rows \(from)..<\(from + count) and \(at)..<\(at + count) of one "
                                          + "tensor overlap")
    }
    switch source.device.backend {
    case .cpu:
        (destination.hostPointer + at * columns).update(from: source.hostPointer + from * columns,
                                                        count: count * columns)
    case .opencl(let cl):
        try cl.copy(source.clBuffer, to: destination.clBuffer, count: count * columns, sourceOffset: from * columns,
                    destinationOffset: at * columns)
    }
}

/// The rows of x [2B, d] with its halves exchanged: rows B..<2B, then 0..<B. The trainer's batches hold first views
/// then second views, so this pairs each view's row with its other view's (MoCo's symmetric loss).
public func swappingHalves(_ x: Tensor) throws -> Tensor {
    try requireRank("swappingHalves", x, 2, name: "x")
    let half = x.shape[0] / 2
    guard x.shape[0] == 2 * half else {
        throw SimileError.shapeMismatch(op: "swappingHalves", detail: "\(x.shape) has an odd number of rows")
    }
    let swapped = try Tensor(uninitialized: x.shape, on: x.device)
    try copyRows(x, from: half, count: half, into: swapped, at: 0)
    try copyRows(x, from: 0, count: half, into: swapped, at: half)
    return swapped
}

/// Rows `range` of x (its first axis) as a new tensor of shape [range.count] + x.shape[1...]: one copy.
public func rowBlock(_ x: Tensor, _ range: Range<Int>) throws -> Tensor {
    guard !x.shape.isEmpty else { throw SimileError.shapeMismatch(op: "rowBlock", detail: "x is a scalar") }
    let width = x.shape.dropFirst().reduce(1, *)
    let block = try Tensor(uninitialized: [range.count] + x.shape.dropFirst(), on: x.device)
    try copyRows(x.reshaped([x.shape[0], width]), from: range.lowerBound, count: range.count,
                 into: block.reshaped([range.count, width]), at: 0)
    return block
}

/// The rows of `parts` (their first axis) one after the other: [Σ rows] + the shape of one row, from tensors whose
/// rows have one shape, on one device.
public func stackingRows(_ parts: [Tensor]) throws -> Tensor {
    guard let first = parts.first, parts.allSatisfy({ !$0.shape.isEmpty }) else {
        throw SimileError.invalidArgument("stackingRows: nothing to stack")
    }
    let row = Array(first.shape.dropFirst())
    if let other = parts.first(where: { Array($0.shape.dropFirst()) != row }) {
        throw SimileError.shapeMismatch(op: "stackingRows", detail: "rows of \(first.shape) and \(other.shape) differ")
    }
    let width = row.reduce(1, *), total = parts.reduce(0) { $0 + $1.shape[0] }
    let stacked = try Tensor(uninitialized: [total] + row, on: first.device)
    var at = 0
    for part in parts {
        try copyRows(part.reshaped([part.shape[0], width]), from: 0, count: part.shape[0],
                     into: stacked.reshaped([total, width]), at: at)
        at += part.shape[0]
    }
    return stacked
}
