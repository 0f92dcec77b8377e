/// Input rules shared by the memory-bank ops (`infoNCELoss`, `nearestNeighbours`): every operand is a 2-D
/// float tensor on one device with at least one row, all with the same number of features d ≥ 1, and finite.
/// `operands` are (name, tensor) in the order the errors should mention them.
func validateBankOperands(_ op: String, _ operands: [(name: String, tensor: Tensor)]) throws {
    for (name, tensor) in operands { try requireRank(op, tensor, 2, name: name) }
    let (firstName, first) = operands[0]
    for (_, tensor) in operands.dropFirst() { try requireSameDevice(op, first, tensor) }
    for (name, tensor) in operands.dropFirst() where tensor.shape[1] != first.shape[1] {
        throw SimileError.shapeMismatch(
            op: op, detail: "\(firstName) \(first.shape) and \(name) \(tensor.shape) differ in features d")
    }
    guard first.shape[1] >= 1 else {
        throw SimileError.invalidArgument("\(op): the rows have no features (\(firstName) \(first.shape))")
    }
    for (name, tensor) in operands where tensor.shape[0] < 1 {
        throw SimileError.invalidArgument("\(op): \(name) has no rows (shape \(tensor.shape)); at least 1 is needed")
    }
    for (name, tensor) in operands { try requireFinite(op, tensor, name: name) }
}

/// An error naming the first NaN or infinite element of a 2-D tensor. OpenCL tensors are checked on a host copy.
private func requireFinite(_ op: String, _ tensor: Tensor, name: String) throws {
    let host = tensor.device.openCLInfo == nil ? tensor : try tensor.to(.cpu)
    let values = host.hostPointer, cols = tensor.shape[1]
    if let bad = (0..<host.count).first(where: { !values[$0].isFinite }) {
        throw SimileError.invalidArgument(
            "\(op): \(name)[\(bad / cols), \(bad % cols)] is \(values[bad]); the input must be finite")
    }
}
