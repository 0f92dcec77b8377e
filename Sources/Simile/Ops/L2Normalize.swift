import COpenCL
import Foundation
import Kernels

/// Row-wise L2 normalisation of a matrix, as PyTorch's `F.normalize(x, dim=1, eps=eps)`:
/// y_r = x_r / max(‖x_r‖, eps). Returns y and the clamped norms [rows], which the backward pass needs.
public func l2Normalize(_ x: Tensor, eps: Float = 1e-12) throws -> (y: Tensor, norms: Tensor) {
    try requireRank("l2Normalize", x, 2, name: "x")
    guard eps > 0 else { throw SimileError.invalidArgument("l2Normalize: eps must be > 0, got \(eps)") }
    let rows = x.shape[0], cols = x.shape[1]
    let y = try Tensor(uninitialized: x.shape, on: x.device)
    let norms = try Tensor(uninitialized: [rows], on: x.device)
    switch x.device.backend {
    case .cpu(let cpu):
        let source = x.hostPointer, destination = y.hostPointer, norm = norms.hostPointer
        cpu.parallelFor(rows, work: x.count) { range in
            for r in range {
                let row = source + r * cols
                norm[r] = max(contiguousDot(row, row, count: cols).squareRoot(), eps)
                let inverse = 1 / norm[r]
                for c in 0..<cols { destination[r * cols + c] = row[c] * inverse }
            }
        }
    case .opencl(let cl):
        guard rows > 0 else { break }
        let kernel = try cl.l2NormalizeKernel("l2_normalize_rows")
        try cl.launch(kernel, name: "l2_normalize_rows", global: [rows * cl.shapes.reductionGroupSize],
                      local: [cl.shapes.reductionGroupSize],
                      [.buffer(x.clBuffer), .int(cols), .float(eps), .buffer(y.clBuffer), .buffer(norms.clBuffer)])
    }
    return (y, norms)
}

/// The gradient of `l2Normalize` given its outputs y and norms and the upstream gradient dy:
/// dx_r = (dy_r − y_r (y_r·dy_r)) / norm_r, or dy_r / eps for rows whose norm was clamped.
public func l2NormalizeBackward(y: Tensor, norms: Tensor, gradient dy: Tensor, eps: Float = 1e-12) throws -> Tensor {
    try requireRank("l2NormalizeBackward", y, 2, name: "y")
    try requireSameShape("l2NormalizeBackward", y, dy)
    guard norms.shape == [y.shape[0]] else {
        throw SimileError.shapeMismatch(op: "l2NormalizeBackward",
                                        detail: "norms \(norms.shape) does not match y \(y.shape)")
    }
    try requireSameDevice("l2NormalizeBackward", y, norms)
    let rows = y.shape[0], cols = y.shape[1]
    let dx = try Tensor(uninitialized: y.shape, on: y.device)
    switch y.device.backend {
    case .cpu(let cpu):
        let output = y.hostPointer, norm = norms.hostPointer, upstream = dy.hostPointer, destination = dx.hostPointer
        cpu.parallelFor(rows, work: y.count) { range in
            for r in range {
                let yr = output + r * cols, dyr = upstream + r * cols
                let projection = norm[r] > eps ? contiguousDot(yr, dyr, count: cols) : 0
                let inverse = 1 / norm[r]
                for c in 0..<cols { destination[r * cols + c] = (dyr[c] - yr[c] * projection) * inverse }
            }
        }
    case .opencl(let cl):
        guard rows > 0 else { break }
        let kernel = try cl.l2NormalizeKernel("l2_normalize_rows_backward")
        try cl.launch(kernel, name: "l2_normalize_rows_backward", global: [rows * cl.shapes.reductionGroupSize],
                      local: [cl.shapes.reductionGroupSize],
                      [.buffer(y.clBuffer), .buffer(norms.clBuffer), .buffer(dy.clBuffer), .int(cols), .float(eps),
                       .buffer(dx.clBuffer)])
    }
    return dx
}

extension OpenCLBackend {
    fileprivate func l2NormalizeKernel(_ name: String) throws -> cl_kernel {
        try kernel(name, program: "l2_normalize", source: KernelSource.l2Normalize, options: "-DWG=\(shapes.reductionGroupSize)")
    }
}
