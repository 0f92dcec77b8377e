/// Input rules shared by the memory-bank ops (`infoNCELoss`, `nearestNeighbours`): every operand is a 2-D
/// float tensor on one device with at least one row, all with the same number of features d ≥ 1. These are host
/// checks of shapes; that the elements are finite is checked on the device by `FiniteCheck`.
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
}
