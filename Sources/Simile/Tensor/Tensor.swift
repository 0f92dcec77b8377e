import Foundation

/// A dense float32 array in row-major (C) order on one device. Tensors are references: ops return
/// new tensors, and the few in-place ops (`axpy`, `gemm` into C) say so in their names.
public final class Tensor: CustomStringConvertible {
    public let shape: [Int]
    public let device: Device
    let storage: Storage

    /// Number of elements.
    public let count: Int

    /// Row-major strides in elements: the last dimension is contiguous.
    public var strides: [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for axis in stride(from: shape.count - 2, through: 0, by: -1) {
            strides[axis] = strides[axis + 1] * shape[axis + 1]
        }
        return strides
    }

    public var description: String { "Tensor\(shape) on \(device.identifier)" }

    /// An uninitialised tensor; ops fill it. Every tensor is made here, so every shape is checked here:
    /// negative dimensions, element and byte counts beyond `Int`, and sizes the device cannot hold are
    /// each one error, raised before anything is allocated.
    init(uninitialized shape: [Int], on device: Device) throws {
        count = try CheckedSize.elements(shape)
        self.shape = shape
        self.device = device
        switch device.backend {
        case .cpu:
            storage = .host(try HostBuffer(count: count, for: "tensor \(shape)"))
        case .opencl(let cl):
            let bytes = try CheckedSize.floatBytes(count, of: "tensor \(shape)")
            storage = .opencl(try cl.pool.buffer(bytes: bytes, for: "tensor \(shape)"))
        }
    }

    private init(shape: [Int], count: Int, device: Device, storage: Storage) {
        self.shape = shape
        self.count = count
        self.device = device
        self.storage = storage
    }

    /// A tensor of `shape` filled with `value`.
    public static func full(_ shape: [Int], _ value: Float, on device: Device) throws -> Tensor {
        let tensor = try Tensor(uninitialized: shape, on: device)
        switch tensor.storage {
        case .host(let host): host.pointer.update(repeating: value, count: tensor.count)
        case .opencl(let buffer): try device.openCL!.fill(buffer, count: tensor.count, value: value)
        }
        return tensor
    }

    public static func zeros(_ shape: [Int], on device: Device) throws -> Tensor {
        try full(shape, 0, on: device)
    }

    /// A tensor holding `values` (row-major) with `shape`.
    public convenience init(_ values: [Float], shape: [Int], on device: Device) throws {
        guard try CheckedSize.elements(shape) == values.count else {
            throw SimileError.shapeMismatch(op: "Tensor", detail: "\(values.count) values do not fill shape \(shape)")
        }
        try self.init(uninitialized: shape, on: device)
        try values.withUnsafeBufferPointer { try upload(from: $0.baseAddress!) }
    }

    /// The elements, copied to host memory. On OpenCL this waits for every enqueued command.
    public func toArray() throws -> [Float] {
        var result = [Float](repeating: 0, count: count)
        try result.withUnsafeMutableBufferPointer { destination in
            switch storage {
            case .host(let host): destination.baseAddress!.update(from: host.pointer, count: count)
            case .opencl(let buffer): try device.openCL!.read(buffer, count: count, into: destination.baseAddress!)
            }
        }
        return result
    }

    /// A copy of this tensor on `target`.
    public func to(_ target: Device) throws -> Tensor {
        let copy = try Tensor(uninitialized: shape, on: target)
        switch (storage, copy.storage) {
        case (.host(let source), _):
            try copy.upload(from: source.pointer)
        case (.opencl(let source), .host(let destination)):
            try device.openCL!.read(source, count: count, into: destination.pointer)
        case (.opencl(let source), .opencl(let destination)) where target === device:
            try target.openCL!.copy(source, to: destination, count: count)
        case (.opencl, .opencl):
            let staging = try to(.cpu)
            try withExtendedLifetime(staging) { try copy.upload(from: staging.hostPointer) }
        }
        return copy
    }

    /// The first elements of this tensor seen with `shape`, which holds no more of them (no copy): a loss seen
    /// apart from the check slots stored after it (`LossReadout`).
    func prefix(_ shape: [Int]) throws -> Tensor {
        let prefixCount = try CheckedSize.elements(shape)
        precondition(prefixCount <= count, "prefix \(shape) of a tensor of shape \(self.shape)")
        return Tensor(shape: shape, count: prefixCount, device: device, storage: storage)
    }

    /// The same elements seen with another shape of the same element count (no copy).
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        guard (try? CheckedSize.elements(newShape)) == count else {
            throw SimileError.shapeMismatch(op: "reshape", detail: "cannot view \(shape) as \(newShape)")
        }
        return Tensor(shape: newShape, count: count, device: device, storage: storage)
    }

    /// Copies `count` floats from `source` into this tensor. On OpenCL the copy is enqueued and the call returns
    /// before it has run (see `CLStaging`); `source` may be freed or overwritten at once either way.
    func upload(from source: UnsafePointer<Float>) throws {
        switch storage {
        case .host(let host): host.pointer.update(from: source, count: count)
        case .opencl(let buffer): try device.openCL!.upload(source, count: count, to: buffer)
        }
    }

    /// The host elements of a CPU tensor.
    var hostPointer: UnsafeMutablePointer<Float> {
        guard case .host(let host) = storage else { preconditionFailure("hostPointer of an OpenCL tensor") }
        return host.pointer
    }

    /// The device buffer of an OpenCL tensor.
    var clBuffer: CLBuffer {
        guard case .opencl(let buffer) = storage else { preconditionFailure("clBuffer of a CPU tensor") }
        return buffer
    }
}

extension Device {
    /// The OpenCL backend, or nil for the CPU.
    var openCL: OpenCLBackend? {
        if case .opencl(let cl) = backend { return cl }
        return nil
    }
}
