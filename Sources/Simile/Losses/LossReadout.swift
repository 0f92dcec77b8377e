/// A loss left on its device with the finite check of its inputs stored beside it, so that reading both is one
/// transfer and nothing before it waits for the device.
///
/// `storage` holds the loss, then `FiniteCheck.slotsPerOperand` check slots per input; `loss` is its first element
/// seen as a tensor of shape [1] (as `sum` and `mean` return), which the loss kernels write and later ops may use.
/// The check runs with the loss on every backend (enqueued on OpenCL, a host loop on the CPU) and is reported by
/// `value()`, so a non-finite input is the same error, at the same point, everywhere.
struct LossReadout {
    let op: String
    let names: [String]
    let storage: Tensor
    let loss: Tensor

    /// Storage on the inputs' device, and the finite check of `inputs` into it.
    init(_ op: String, inputs: [(name: String, tensor: Tensor)]) throws {
        self.op = op
        names = inputs.map(\.name)
        storage = try Tensor(uninitialized: [1 + inputs.count * FiniteCheck.slotsPerOperand],
                             on: inputs[0].tensor.device)
        loss = try storage.prefix([1])
        try FiniteCheck.run(inputs.map(\.tensor), into: storage, at: 1)
    }

    /// The loss, read with the check in one blocking read on OpenCL (a copy on the CPU); throws the check's error
    /// when an input held a NaN or an infinity.
    func value() throws -> Float {
        let values = try storage.toArray()
        if let error = FiniteCheck.error(op, names: names, slots: values[1...]) { throw error }
        return values[0]
    }
}
