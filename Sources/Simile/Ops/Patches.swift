import Kernels

/// Square patches cut from a batch of images, each patch a row of its own, so that an encoder runs on them as on
/// a batch (PIRL's jigsaw pieces). For x [N, C, H, W] and a grid of R × Q patches of S × S pixels, `step` pixels
/// apart from the top-left corner:
///
///     out[(n·R + i)·Q + j, c, y, x'] = x[n, c, i·step + y, j·step + x']        out: [N·R·Q, C, S, S]
///
/// so the patches of one image are consecutive rows, row by row of the grid, and a [N·R·Q, F] result of the encoder
/// is [N, R·Q·F] as it lies. The grid must fit the image ((R − 1)·step + S ≤ H, likewise for Q and W). No gradient:
/// patches are cut from the data.
public func cutPatches(_ x: Tensor, size: Int, step: Int, grid: (rows: Int, columns: Int)) throws -> Tensor {
    let op = "cutPatches"
    try requireRank(op, x, 4, name: "x")
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (rows, columns) = grid
    // rows ≤ h and step ≤ h keep (rows − 1)·step far from overflow.
    guard size >= 1, step >= 1, rows >= 1, columns >= 1, rows <= h, columns <= w, step <= max(h, w),
          (rows - 1) * step + size <= h, (columns - 1) * step + size <= w else {
        throw SimileError.invalidArgument("\(op): a \(rows)×\(columns) grid of \(size)-pixel patches \(step) pixels "
                                          + "apart must have positive sizes and fit the \(h)×\(w) images of \(x.shape)")
    }
    let shape = [n * rows * columns, c, size, size]
    guard try CheckedSize.elements(shape) < Int(Int32.max), x.count < Int(Int32.max) else {
        throw SimileError.invalidArgument("\(op): \(x.shape) into \(shape) must stay below 2³¹ elements (32-bit "
                                          + "indices in the kernel)")
    }
    let out = try Tensor(uninitialized: shape, on: x.device)
    guard out.count > 0 else { return out }
    switch x.device.backend {
    case .cpu:
        let (source, target) = (x.hostPointer, out.hostPointer)
        for patch in 0..<shape[0] {
            let (image, i, j) = (patch / (rows * columns), patch / columns % rows, patch % columns)
            for channel in 0..<c {
                for y in 0..<size {
                    (target + ((patch * c + channel) * size + y) * size)
                        .update(from: source + ((image * c + channel) * h + i * step + y) * w + j * step, count: size)
                }
            }
        }
    case .opencl(let cl):
        try cl.launch(try cl.kernel("cut_patches", program: "patches", source: KernelSource.patches),
                      name: "cut_patches", global: [out.count / size],
                      [.buffer(x.clBuffer), .buffer(out.clBuffer), .int(c), .int(h), .int(w), .int(rows), .int(columns),
                       .int(size), .int(step)])
    }
    return out
}
