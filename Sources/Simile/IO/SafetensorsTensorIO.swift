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
    /// Writes named tensors (copied to the host first) as F32, in the order given, as `write(_:metadata:to:)`
    /// does: the form a model's state dict takes ("layer1.0.conv1.weight", ...).
    public static func write(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:],
                             to path: String) throws {
        let entries = try tensors.map {
            SafetensorsTensor(name: $0.name, shape: $0.tensor.shape, data: .float32(try $0.tensor.toArray()))
        }
        try write(entries, metadata: metadata, to: path)
    }
}
