/// Tensors to and from .npy files, kept apart from the format code so that the fuzz target can build the
/// reader without the compute backends.
extension NPY {
    /// Reads straight into a tensor on `device`.
    public static func readTensor(_ path: String, on device: Device) throws -> Tensor {
        let (values, shape) = try read(path)
        return try Tensor(values, shape: shape, on: device)
    }

    /// Writes `tensor` (copied to the host first) as `write(_:shape:to:)` does.
    public static func write(_ tensor: Tensor, to path: String) throws {
        try write(tensor.toArray(), shape: tensor.shape, to: path)
    }
}
