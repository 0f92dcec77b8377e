/// Tensors to and from safetensors files, kept apart from the format code so that the fuzz target can build
/// the reader without the compute backends.
extension SafetensorsTensor {
    /// A float32 entry (F32, or F16/BF16 widened) as a tensor on `device`; an I64 entry is an error naming it.
    public func tensor(on device: Device) throws -> Tensor {
        guard case let .float32(values) = data else {
            throw SimileError.invalidArgument("safetensors tensor '\(name)' is \(dtype.rawValue), not a float tensor")
        }
        return try Tensor(values, shape: shape, on: device)
    }
}

extension Safetensors {
    /// Writes a model's state (`Layer.stateDict()`, in its order) as `write(_:metadata:to:)` does: tensors as F32
    /// (copied to the host first), counts as I64 scalars, the form torch's `save_file(model.state_dict())` takes.
    public static func write(state: [(name: String, value: StateValue)], metadata: [String: String] = [:],
                             to path: String) throws {
        try write(tensors(state: state), metadata: metadata, to: path)
    }

    /// A state's entries as the file holds them (tensors copied to the host), in its order: what `write(state:)`
    /// writes and what `Layer.load` takes.
    public static func tensors(state: [(name: String, value: StateValue)]) throws -> [SafetensorsTensor] {
        try state.map { name, value in
            switch value {
            case let .tensor(tensor):
                return SafetensorsTensor(name: name, shape: tensor.shape, data: .float32(try tensor.toArray()))
            case let .count(count):
                return SafetensorsTensor(name: name, shape: [], data: .int64([count]))
            }
        }
    }
}
