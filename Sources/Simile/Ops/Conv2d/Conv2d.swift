/// 2-D convolution as PyTorch's `F.conv2d` (NCHW, zero padding, no dilation or groups), computed as a GEMM
/// over im2col columns: CPU in Conv2dCPU.swift (OpenBLAS), OpenCL in Conv2dOpenCL.swift (the GEMM kernels); on
/// the CPU, 3×3 stride-1 convolutions may run as Winograd F(4×4, 3×3) instead (WinogradCPU.swift, and
/// WinogradWeightGradientCPU.swift for the weight gradient).

/// How a convolution's forward pass and gradients are computed.
public enum ConvAlgorithm: String, CaseIterable, Sendable {
    /// Winograd where it applies and was measured faster: `winograd`'s shapes on the CPU with C and O of at least
    /// 64 and min(C, O) × the output's shorter side of at least 512 (ResNet-18's 64 @ 32×32 up to 512 @ 4×4, not
    /// small channels on tiny images such as the digits' 64 @ 4×4); direct elsewhere.
    case auto
    /// im2col columns times the filters as one GEMM per tile: every shape, both backends.
    case direct
    /// Winograd F(4×4, 3×3) (WinogradCPU.swift): 3×3, stride-1 convolutions with padding ≤ 2, on the CPU.
    case winograd

    /// Whether `g` runs as Winograd on `device`; an error when `winograd` is asked for where it cannot run.
    public func usesWinograd(_ g: ConvGeometry, on device: Device, op: String) throws -> Bool {
        let onCPU: Bool
        if case .cpu = device.backend { onCPU = true } else { onCPU = false }
        switch self {
        case .direct:
            return false
        case .auto:
            let channels = min(g.inChannels, g.outChannels)
            return onCPU && g.allowsWinograd && channels >= 64 && channels * min(g.outHeight, g.outWidth) >= 512
        case .winograd:
            guard g.allowsWinograd else {
                throw SimileError.invalidArgument("\(op): the Winograd algorithm takes 3×3 stride-1 convolutions with "
                                                  + "padding ≤ 2, got \(g)")
            }
            guard onCPU else {
                throw SimileError.invalidArgument("\(op): the Winograd algorithm runs on the CPU backend only")
            }
            return true
        }
    }
}

/// x [N, C, H, W], weight [O, C, KH, KW], bias [O] or nil → y [N, O, OH, OW], OH = (H + 2·padding − KH)/stride + 1.
public func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0,
                   algorithm: ConvAlgorithm = .auto) throws -> Tensor {
    let op = "conv2d"
    let g = try ConvGeometry(op: op, input: x.shape, weight: weight.shape, stride: stride, padding: padding)
    try requireSameDevice(op, x, weight)
    if let bias {
        guard bias.shape == [g.outChannels] else {
            throw SimileError.shapeMismatch(
                op: op, detail: "bias must have shape [O] = [\(g.outChannels)] for weight \(weight.shape), got \(bias.shape)")
        }
        try requireSameDevice(op, x, bias)
    }
    let winograd = try algorithm.usesWinograd(g, on: x.device, op: op)
    let y = try Tensor(uninitialized: g.outputShape, on: x.device)
    guard y.count > 0 else { return y }
    switch x.device.backend {
    case .cpu(let cpu) where winograd: try cpu.conv2dWinogradForward(g, x: x, weight: weight, bias: bias, y: y)
    case .cpu(let cpu): try cpu.conv2dForward(g, x: x, weight: weight, bias: bias, y: y)
    case .opencl(let cl): try cl.conv2dForward(g, x: x, weight: weight, bias: bias, y: y)
    }
    return y
}

/// dL/dx for conv2d, given dy [N, O, OH, OW]; inputShape is x's shape.
public func conv2dBackwardInput(_ dy: Tensor, weight: Tensor, inputShape: [Int], stride: Int = 1,
                                padding: Int = 0, algorithm: ConvAlgorithm = .auto) throws -> Tensor {
    let op = "conv2dBackwardInput"
    let g = try ConvGeometry(op: op, input: inputShape, weight: weight.shape, stride: stride, padding: padding)
    try g.requireOutputGradient(op: op, dy)
    try requireSameDevice(op, dy, weight)
    let winograd = try algorithm.usesWinograd(g, on: dy.device, op: op)
    let dx = try Tensor(uninitialized: inputShape, on: dy.device)
    guard dx.count > 0 else { return dx }
    switch dy.device.backend {
    case .cpu(let cpu) where winograd: try cpu.conv2dWinogradBackwardInput(g, dy: dy, weight: weight, dx: dx)
    case .cpu(let cpu): try cpu.conv2dBackwardInput(g, dy: dy, weight: weight, dx: dx)
    case .opencl(let cl): try cl.conv2dBackwardInput(g, dy: dy, weight: weight, dx: dx)
    }
    return dx
}

/// dL/dweight [O, C, KH, KW] for conv2d, given dy and the forward input x.
public func conv2dBackwardWeight(_ dy: Tensor, input x: Tensor, weightShape: [Int], stride: Int = 1,
                                 padding: Int = 0, algorithm: ConvAlgorithm = .auto) throws -> Tensor {
    let op = "conv2dBackwardWeight"
    let g = try ConvGeometry(op: op, input: x.shape, weight: weightShape, stride: stride, padding: padding)
    try g.requireOutputGradient(op: op, dy)
    try requireSameDevice(op, dy, x)
    let winograd = try algorithm.usesWinograd(g, on: x.device, op: op)
    guard g.batch > 0 else { return try Tensor.zeros(weightShape, on: x.device) }
    let dw = try Tensor(uninitialized: weightShape, on: x.device)
    switch x.device.backend {
    case .cpu(let cpu) where winograd: try cpu.conv2dWinogradBackwardWeight(g, dy: dy, x: x, dw: dw)
    case .cpu(let cpu): try cpu.conv2dBackwardWeight(g, dy: dy, x: x, dw: dw)
    case .opencl(let cl): try cl.conv2dBackwardWeight(g, dy: dy, x: x, dw: dw)
    }
    return dw
}

/// dL/dbias [O]: dy summed over N, OH, OW.
public func conv2dBackwardBias(_ dy: Tensor) throws -> Tensor {
    try requireRank("conv2dBackwardBias", dy, 4, name: "dy")
    let (n, o) = (dy.shape[0], dy.shape[1])
    let perImage = try sum(dy.reshaped([n * o, dy.shape[2] * dy.shape[3]]), axis: 1)
    return try sum(perImage.reshaped([n, o]), axis: 0)
}

/// Which product of a convolution: y, dL/dx or dL/dweight.
public enum ConvDirection: String, CaseIterable, Sendable {
    case forward, backwardInput = "backward-input", backwardWeight = "backward-weight"
}

/// Bytes of scratch memory one direction of a convolution with geometry `g` takes on `device` with `algorithm`,
/// beyond its inputs and output.
public func conv2dScratchBytes(_ g: ConvGeometry, _ direction: ConvDirection, on device: Device,
                               algorithm: ConvAlgorithm = .auto) -> Int {
    let winograd = (try? algorithm.usesWinograd(g, on: device, op: "conv2dScratchBytes")) == true
    switch device.backend {
    case .cpu(let cpu) where winograd: return cpu.conv2dWinogradScratchBytes(g, direction)
    case .cpu(let cpu): return cpu.conv2dScratchBytes(g, direction)
    case .opencl(let cl): return cl.conv2dScratchBytes(g, direction)
    }
}
