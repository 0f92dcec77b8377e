/// Max pooling over NCHW x [N, C, H, W] with a square window (PyTorch F.max_pool2d semantics: padding is −∞,
/// padding ≤ kernelSize/2, floor output size, ties → the first maximum in row-major window order, NaN propagates
/// as in PyTorch). Returns y [N, C, OH, OW] and argmax (same shape): for each output, the index within its
/// input plane (h·W + w) of the chosen element, stored as Float (exact while H·W ≤ 2^24; larger planes → clear error).
public func maxPool2d(_ x: Tensor, kernelSize: Int, stride: Int, padding: Int = 0) throws -> (output: Tensor, argmax: Tensor) {
    let geometry = try PoolGeometry("maxPool2d", inputShape: x.shape, kernelSize: kernelSize, stride: stride, padding: padding)
    try requireExactIndices("maxPool2d", planeSize: geometry.planeSize, shape: x.shape, name: "x")
    let output = try Tensor(uninitialized: geometry.outputShape, on: x.device)
    let argmax = try Tensor(uninitialized: geometry.outputShape, on: x.device)
    switch x.device.backend {
    case .cpu(let cpu):
        let source = x.hostPointer, values = output.hostPointer, indices = argmax.hostPointer
        cpu.parallelFor(geometry.planes, work: x.count) { planes in
            for plane in planes {
                let input = source + plane * geometry.planeSize
                var o = plane * geometry.outPlaneSize
                for oh in 0..<geometry.outHeight {
                    let rows = geometry.windowRows(oh)
                    for ow in 0..<geometry.outWidth {
                        let columns = geometry.windowColumns(ow)
                        var best = -Float.infinity, index = rows.lowerBound * geometry.width + columns.lowerBound
                        for h in rows {
                            for w in columns {
                                let value = input[h * geometry.width + w]
                                if value > best || value.isNaN { (best, index) = (value, h * geometry.width + w) }
                            }
                        }
                        values[o] = best
                        indices[o] = Float(index)
                        o += 1
                    }
                }
            }
        }
    case .opencl(let cl):
        try cl.launchPooling("max_pool2d_forward", op: "maxPool2d", count: output.count,
                             [.buffer(x.clBuffer)] + geometry.kernelArguments
                                + [.buffer(output.clBuffer), .buffer(argmax.clBuffer)])
    }
    return (output, argmax)
}

/// dL/dx of maxPool2d: each dy element added to the input element its argmax names (overlapping windows accumulate).
/// Each input plane is owned by one thread or work-item, which walks that plane's outputs in order: no atomics,
/// no races, and the same sums on every run. Argmax values outside the plane are skipped.
public func maxPool2dBackward(_ dy: Tensor, argmax: Tensor, inputShape: [Int]) throws -> Tensor {
    let op = "maxPool2dBackward"
    try requireNCHW(op, inputShape, name: "inputShape")
    guard dy.shape.count == 4, dy.shape[..<2] == inputShape[..<2] else {
        throw SimileError.shapeMismatch(op: op, detail: "dy \(dy.shape) must be [N, C, OH, OW] for inputShape \(inputShape)")
    }
    guard argmax.shape == dy.shape else {
        throw SimileError.shapeMismatch(op: op, detail: "argmax \(argmax.shape) does not match dy \(dy.shape)")
    }
    try requireSameDevice(op, dy, argmax)
    let planeSize = inputShape[2] * inputShape[3], outPlaneSize = dy.shape[2] * dy.shape[3]
    try requireExactIndices(op, planeSize: planeSize, shape: inputShape, name: "inputShape")
    let planes = inputShape[0] * inputShape[1]
    let dx = try Tensor.zeros(inputShape, on: dy.device)
    switch dy.device.backend {
    case .cpu(let cpu):
        let upstream = dy.hostPointer, indices = argmax.hostPointer, destination = dx.hostPointer
        cpu.parallelFor(planes, work: dx.count + dy.count) { range in
            for plane in range {
                let gradient = destination + plane * planeSize
                for o in plane * outPlaneSize..<(plane + 1) * outPlaneSize {
                    let index = indices[o]
                    if index >= 0, index < Float(planeSize) { gradient[Int(index)] += upstream[o] }
                }
            }
        }
    case .opencl(let cl):
        try cl.launchPooling("max_pool2d_backward", op: op, count: planes,
                             [.buffer(dy.clBuffer), .buffer(argmax.clBuffer), .int(planeSize), .int(outPlaneSize),
                              .buffer(dx.clBuffer)])
    }
    return dx
}

/// Argmax indices are stored as Float, which holds every integer up to 2^24 exactly.
private func requireExactIndices(_ op: String, planeSize: Int, shape: [Int], name: String) throws {
    guard planeSize <= 1 << 24 else {
        throw SimileError.invalidArgument(
            "\(op): planes of \(name) \(shape) have \(planeSize) elements; argmax indices are exact only up to 2^24")
    }
}
