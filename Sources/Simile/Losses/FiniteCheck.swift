import Kernels

/// The finite-input check of the losses and the memory-bank ops, made where the operands live and read back with
/// the op's result, so that no operand (a 65536 × 128 bank, say) is copied to the host just to be checked.
///
/// Each 2-D operand gets `slotsPerOperand` float slots in a small tensor the op reads anyway: the row of its first
/// non-finite element (as Int32 bits; Int32.max when every element is finite), that element's column (Int32 bits)
/// and its value. On OpenCL the check is enqueued (reduce.cl: `first_non_finite_row`, a flag reduction over every
/// element, then `first_non_finite_column`); on the CPU it is a host loop, run at once.
enum FiniteCheck {
    static let slotsPerOperand = 3

    /// Checks `operands` (2-D, on the device of `slots`) into the slots of `slots` from element `offset` on:
    /// `slotsPerOperand` for each operand, in order.
    static func run(_ operands: [Tensor], into slots: Tensor, at offset: Int) throws {
        switch slots.device.backend {
        case .cpu:
            for (index, operand) in operands.enumerated() {
                let values = operand.hostPointer, cols = operand.shape[1]
                let slot = slots.hostPointer + offset + index * slotsPerOperand
                slot[0] = bits(Int32.max)
                if let bad = (0..<operand.count).first(where: { !values[$0].isFinite }) {
                    (slot[0], slot[1], slot[2]) = (bits(Int32(bad / cols)), bits(Int32(bad % cols)), values[bad])
                }
            }
        case .opencl(let cl):
            try cl.fill(slots.clBuffer, count: operands.count * slotsPerOperand, value: bits(Int32.max), offset: offset)
            let options = "-DWG=\(cl.shapes.reductionGroupSize)"
            let rowKernel = try cl.kernel("first_non_finite_row", program: "reduce", source: KernelSource.reduce,
                                          options: options)
            let columnKernel = try cl.kernel("first_non_finite_column", program: "reduce", source: KernelSource.reduce,
                                             options: options)
            for (index, operand) in operands.enumerated() {
                let at = offset + index * slotsPerOperand, rows = operand.shape[0], cols = operand.shape[1]
                try cl.launch(rowKernel, name: "first_non_finite_row", global: [operand.count],
                              local: [min(256, cl.info.maxWorkGroupSize)],
                              [.buffer(operand.clBuffer), .int(rows), .int(cols), .buffer(slots.clBuffer), .int(at)])
                try cl.launch(columnKernel, name: "first_non_finite_column", global: [1], local: [1],
                              [.buffer(operand.clBuffer), .int(cols), .buffer(slots.clBuffer), .int(at)])
            }
        }
    }

    /// The error for the first operand whose slots (read back from `run`) name a non-finite element, as
    /// "op: name[row, col] is nan; the input must be finite"; nil when every element was finite.
    static func error(_ op: String, names: [String], slots: ArraySlice<Float>) -> SimileError? {
        for (index, name) in names.enumerated() {
            let slot = slots.startIndex + index * slotsPerOperand
            let row = integer(slots[slot])
            guard row != Int32.max else { continue }
            return .invalidArgument(
                "\(op): \(name)[\(row), \(integer(slots[slot + 1]))] is \(slots[slot + 2])" + nonFiniteSuffix)
        }
        return nil
    }

    /// Checks `operands` and throws `error` at once: for ops whose results are not read together with the slots.
    static func require(_ op: String, _ operands: [(name: String, tensor: Tensor)]) throws {
        let slots = try Tensor(uninitialized: [operands.count * slotsPerOperand], on: operands[0].tensor.device)
        try run(operands.map(\.tensor), into: slots, at: 0)
        if let error = error(op, names: operands.map(\.name), slots: try slots.toArray()[...]) { throw error }
    }

    private static let nonFiniteSuffix = "; the input must be finite"

    /// Whether `error` is this check's: a loss given a non-finite operand, which in training means the run diverged.
    static func isNonFiniteInput(_ error: SimileError) -> Bool {
        if case let .invalidArgument(message) = error { return message.hasSuffix(nonFiniteSuffix) }
        return false
    }

    private static func bits(_ value: Int32) -> Float { Float(bitPattern: UInt32(bitPattern: value)) }
    private static func integer(_ slot: Float) -> Int32 { Int32(bitPattern: slot.bitPattern) }
}
