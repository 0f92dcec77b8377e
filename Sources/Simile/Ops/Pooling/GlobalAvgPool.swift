/// Mean over H and W: [N, C, H, W] → [N, C].
public func globalAvgPool(_ x: Tensor) throws -> Tensor {
    try requireNCHW("globalAvgPool", x.shape, name: "x")
    let (batch, channels) = (x.shape[0], x.shape[1])
    return try mean(x.reshaped([batch * channels, x.shape[2] * x.shape[3]]), axis: 1).reshaped([batch, channels])
}

/// dL/dx of globalAvgPool: dy [N, C] spread evenly over each H×W plane.
public func globalAvgPoolBackward(_ dy: Tensor, inputShape: [Int]) throws -> Tensor {
    let op = "globalAvgPoolBackward"
    try requireNCHW(op, inputShape, name: "inputShape")
    guard dy.shape == Array(inputShape[..<2]) else {
        throw SimileError.shapeMismatch(op: op, detail: "dy \(dy.shape) must be [N, C] = \(Array(inputShape[..<2])) for inputShape \(inputShape)")
    }
    let planeSize = inputShape[2] * inputShape[3]
    let scale = 1 / Float(planeSize)
    let dx = try Tensor(uninitialized: inputShape, on: dy.device)
    switch dy.device.backend {
    case .cpu(let cpu):
        let upstream = dy.hostPointer, destination = dx.hostPointer
        cpu.parallelFor(dy.count, work: dx.count) { planes in
            for plane in planes {
                (destination + plane * planeSize).update(repeating: upstream[plane] * scale, count: planeSize)
            }
        }
    case .opencl(let cl):
        try cl.launchPooling("global_avg_pool_backward", op: op, count: dx.count,
                             [.buffer(dy.clBuffer), .int(planeSize), .float(scale), .buffer(dx.clBuffer)])
    }
    return dx
}
