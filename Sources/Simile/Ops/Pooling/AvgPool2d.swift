/// Average pooling (count_include_pad = true, as PyTorch's default), square window.
/// x [N, C, H, W] → [N, C, OH, OW] with floor output size; every window sum is divided by kernelSize².
public func avgPool2d(_ x: Tensor, kernelSize: Int, stride: Int, padding: Int = 0) throws -> Tensor {
    let geometry = try PoolGeometry("avgPool2d", inputShape: x.shape, kernelSize: kernelSize, stride: stride, padding: padding)
    let output = try Tensor(uninitialized: geometry.outputShape, on: x.device)
    let scale = 1 / Float(kernelSize * kernelSize)
    switch x.device.backend {
    case .cpu(let cpu):
        let source = x.hostPointer, destination = output.hostPointer
        cpu.parallelFor(geometry.planes, work: x.count) { planes in
            for plane in planes {
                let input = source + plane * geometry.planeSize
                var o = plane * geometry.outPlaneSize
                for oh in 0..<geometry.outHeight {
                    let rows = geometry.windowRows(oh)
                    for ow in 0..<geometry.outWidth {
                        let columns = geometry.windowColumns(ow)
                        var sum: Float = 0
                        for h in rows {
                            for w in columns { sum += input[h * geometry.width + w] }
                        }
                        destination[o] = sum * scale
                        o += 1
                    }
                }
            }
        }
    case .opencl(let cl):
        try cl.launchPooling("avg_pool2d_forward", op: "avgPool2d", count: output.count,
                             [.buffer(x.clBuffer)] + geometry.kernelArguments + [.buffer(output.clBuffer)])
    }
    return output
}

/// dL/dx of avgPool2d for an input of `inputShape`: each dy element spread evenly (÷ kernelSize²) over the input
/// elements of its window; overlapping windows accumulate, padding positions receive nothing.
public func avgPool2dBackward(_ dy: Tensor, inputShape: [Int], kernelSize: Int, stride: Int, padding: Int = 0) throws -> Tensor {
    let op = "avgPool2dBackward"
    let geometry = try PoolGeometry(op, inputShape: inputShape, kernelSize: kernelSize, stride: stride, padding: padding,
                                    name: "inputShape")
    try geometry.requireOutputGradient(op, dy)
    let dx = try Tensor(uninitialized: inputShape, on: dy.device)
    let scale = 1 / Float(kernelSize * kernelSize)
    switch dy.device.backend {
    case .cpu(let cpu):
        let upstream = dy.hostPointer, destination = dx.hostPointer
        cpu.parallelFor(geometry.planes, work: dx.count) { planes in
            for plane in planes {
                let gradient = destination + plane * geometry.planeSize
                gradient.update(repeating: 0, count: geometry.planeSize)
                var o = plane * geometry.outPlaneSize
                for oh in 0..<geometry.outHeight {
                    let rows = geometry.windowRows(oh)
                    for ow in 0..<geometry.outWidth {
                        let share = upstream[o] * scale
                        for h in rows {
                            for w in geometry.windowColumns(ow) { gradient[h * geometry.width + w] += share }
                        }
                        o += 1
                    }
                }
            }
        }
    case .opencl(let cl):
        try cl.launchPooling("avg_pool2d_backward", op: op, count: dx.count,
                             [.buffer(dy.clBuffer)] + geometry.kernelArguments + [.buffer(dx.clBuffer)])
    }
    return dx
}
