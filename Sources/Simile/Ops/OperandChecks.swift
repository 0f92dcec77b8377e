import Kernels

/// Validation shared by the ops: each failure is one `SimileError` naming the op and the shapes.

func requireSameDevice(_ op: String, _ tensors: Tensor...) throws {
    guard let first = tensors.first else { return }
    for other in tensors.dropFirst() where other.device !== first.device {
        throw SimileError.deviceMismatch(op: op, detail: "\(first) and \(other)")
    }
}

func requireSameShape(_ op: String, _ a: Tensor, _ b: Tensor) throws {
    guard a.shape == b.shape else {
        throw SimileError.shapeMismatch(op: op, detail: "\(a.shape) vs \(b.shape)")
    }
    try requireSameDevice(op, a, b)
}

/// Sizes given to convolution and pooling (dimensions, windows, padding) are passed to OpenCL kernels as 32-bit
/// `int`s, so each must fit one, and the shape's element count must fit an `Int`. Checked before any window
/// arithmetic (H + 2·padding, ...), which then cannot overflow.
func requireKernelSizes(_ op: String, _ sizes: [Int], name: String) throws {
    guard sizes.allSatisfy({ $0 <= Int32.max }) else {
        throw SimileError.invalidArgument("\(op): \(name) \(sizes) has a size above \(Int32.max), the most OpenCL kernels take")
    }
    _ = try CheckedSize.elements(sizes)
}

func requireRank(_ op: String, _ tensor: Tensor, _ rank: Int, name: String) throws {
    guard tensor.shape.count == rank else {
        throw SimileError.shapeMismatch(op: op, detail: "\(name) must be \(rank)-D, got shape \(tensor.shape)")
    }
}

extension OpenCLBackend {
    /// Runs a one-work-item-per-element kernel from elementwise.cl over `count` elements.
    func launchElementwise(_ name: String, count: Int, _ arguments: [KernelArgument]) throws {
        guard count > 0 else { return }
        let kernel = try kernel(name, program: "elementwise", source: KernelSource.elementwise)
        try launch(kernel, name: name, global: [count], local: [min(256, info.maxWorkGroupSize)], arguments)
    }
}
