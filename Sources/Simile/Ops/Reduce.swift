import Kernels

/// The sum of all elements, as a one-element tensor.
public func sum(_ x: Tensor) throws -> Tensor {
    try reduceAll(x, scale: 1)
}

/// The mean of all elements, as a one-element tensor.
public func mean(_ x: Tensor) throws -> Tensor {
    guard x.count > 0 else { throw SimileError.invalidArgument("mean of an empty tensor \(x.shape)") }
    return try reduceAll(x, scale: 1 / Float(x.count))
}

/// Sums over `axis`; the result has that dimension removed.
public func sum(_ x: Tensor, axis: Int) throws -> Tensor {
    try reduceAxis("sum", x, axis: axis, mean: false)
}

/// Means over `axis`; the result has that dimension removed.
public func mean(_ x: Tensor, axis: Int) throws -> Tensor {
    try reduceAxis("mean", x, axis: axis, mean: true)
}

private func reduceAll(_ x: Tensor, scale: Float) throws -> Tensor {
    let out = try Tensor(uninitialized: [1], on: x.device)
    switch x.device.backend {
    case .cpu(let cpu):
        let source = x.hostPointer
        let chunks = min(cpu.threads, max(1, x.count / CPUBackend.parallelThreshold))
        var partials = [Double](repeating: 0, count: chunks)
        partials.withUnsafeMutableBufferPointer { partial in
            cpu.parallelFor(chunks) { range in
                for chunk in range {
                    let start = x.count * chunk / chunks, end = x.count * (chunk + 1) / chunks
                    partial[chunk] = Double(contiguousSum(source + start, count: end - start))
                }
            }
        }
        out.hostPointer.pointee = Float(partials.reduce(0, +)) * scale
    case .opencl(let cl):
        let groupSize = cl.shapes.reductionGroupSize
        let groups = min((x.count + groupSize - 1) / groupSize, 256)
        let kernel = try cl.kernel("sum_partials", program: "reduce", source: KernelSource.reduce,
                                   options: "-DWG=\(groupSize)")
        if groups <= 1 {
            try cl.launch(kernel, name: "sum_partials", global: [groupSize], local: [groupSize],
                          [.buffer(x.clBuffer), .int(x.count), .float(scale), .buffer(out.clBuffer)])
        } else {
            let partials = try Tensor(uninitialized: [groups], on: x.device)
            try cl.launch(kernel, name: "sum_partials", global: [groups * groupSize], local: [groupSize],
                          [.buffer(x.clBuffer), .int(x.count), .float(1), .buffer(partials.clBuffer)])
            try cl.launch(kernel, name: "sum_partials", global: [groupSize], local: [groupSize],
                          [.buffer(partials.clBuffer), .int(groups), .float(scale), .buffer(out.clBuffer)])
        }
    }
    return out
}

private func reduceAxis(_ op: String, _ x: Tensor, axis: Int, mean: Bool) throws -> Tensor {
    guard x.shape.indices.contains(axis) else {
        throw SimileError.invalidArgument("\(op): axis \(axis) is out of range for shape \(x.shape)")
    }
    let outer = x.shape[..<axis].reduce(1, *)
    let n = x.shape[axis]
    let inner = x.shape[(axis + 1)...].reduce(1, *)
    guard n > 0 || !mean else { throw SimileError.invalidArgument("\(op) over an empty axis of shape \(x.shape)") }
    let scale: Float = mean ? 1 / Float(n) : 1
    var outShape = x.shape
    outShape.remove(at: axis)
    let out = try Tensor(uninitialized: outShape, on: x.device)
    switch x.device.backend {
    case .cpu(let cpu):
        sumAxisCPU(cpu, x.hostPointer, outer: outer, n: n, inner: inner, scale: scale, into: out.hostPointer)
    case .opencl(let cl):
        guard out.count > 0 else { break }
        let kernel = try cl.kernel("sum_axis", program: "reduce", source: KernelSource.reduce,
                                   options: "-DWG=\(cl.shapes.reductionGroupSize)")
        var split = 1
        while split * 2 <= min(n / 32, 256, cl.info.maxWorkGroupSize) { split *= 2 }
        try cl.launch(kernel, name: "sum_axis", global: [outer * inner, split], local: [1, split],
                      [.buffer(x.clBuffer), .int(outer), .int(n), .int(inner), .float(scale), .buffer(out.clBuffer),
                       .local(bytes: split * MemoryLayout<Float>.stride)])
    }
    return out
}

/// out[o, i] = scale * Σ_j x[o, j, i] for x viewed as [outer, n, inner]. Work is split over output
/// elements; each range walks the reduced axis in the outer loop so the inner loop is contiguous.
private func sumAxisCPU(_ cpu: CPUBackend, _ x: UnsafeMutablePointer<Float>, outer: Int, n: Int, inner: Int,
                        scale: Float, into out: UnsafeMutablePointer<Float>) {
    cpu.parallelFor(outer * inner, work: outer * n * inner) { range in
        var k = range.lowerBound
        while k < range.upperBound {
            let o = k / inner, first = k % inner
            let last = min(inner, first + range.upperBound - k)
            let destination = out + o * inner
            if inner == 1 {
                destination[0] = scale * contiguousSum(x + o * n, count: n)
            } else {
                destination.advanced(by: first).update(repeating: 0, count: last - first)
                for j in 0..<n {
                    let row = x + (o * n + j) * inner
                    for i in first..<last { destination[i] += row[i] }
                }
                for i in first..<last { destination[i] *= scale }
            }
            k += last - first
        }
    }
}

