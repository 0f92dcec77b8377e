import Kernels

/// Every location of a batch of feature maps as a row: for x [N, C, H, W],
///
///     rows[(n·H + h)·W + w, c] = x[n, c, h, w]        rows: [N·H·W, C]
///
/// so that a GEMM compares each location's C-vector with others (AMDIM's and CPC's scores). `channelsFirst` is its
/// inverse, and each is the other's backward pass.
public func channelsLast(_ x: Tensor) throws -> Tensor {
    let op = "channelsLast"
    try requireNCHW(op, x.shape, name: "x")
    let (n, c, s) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
    return try moveChannels(op, x, to: [n * s, c], kernel: "channels_last", channels: c, locations: s,
                            walking: x.count) { i, x, rows in
        rows[((i / (c * s)) * s + i % s) * c + i / s % c] = x[i]
    }
}

/// The maps [N, C, H, W] whose locations are the rows [N·H·W, C] (the inverse of `channelsLast`).
public func channelsFirst(_ rows: Tensor, height: Int, width: Int) throws -> Tensor {
    let op = "channelsFirst"
    try requireRank(op, rows, 2, name: "rows")
    try requireMapSides(op, height: height, width: width)
    guard rows.shape[0] % (height * width) == 0 else {
        throw SimileError.shapeMismatch(op: op, detail: "rows \(rows.shape) are not whole \(height)×\(width) maps")
    }
    let (c, s) = (rows.shape[1], height * width)
    return try moveChannels(op, rows, to: [rows.shape[0] / s, c, height, width], kernel: "channels_first", channels: c,
                            locations: s, walking: rows.count) { i, rows, x in
        x[i] = rows[((i / (c * s)) * s + i % s) * c + i / s % c]
    }
}

/// The vector at one location of each map: for x [N, C, H, W] and N locations (each in 0 ..< H·W, row-major),
/// out[n, c] = x[n, c, at[n]], [N, C]. AMDIM draws a source vector from a map so.
public func pickLocations(_ x: Tensor, at locations: RowIndices) throws -> Tensor {
    let op = "pickLocations"
    try requireNCHW(op, x.shape, name: "x")
    let (n, c, s) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
    try requireLocations(op, locations, images: n, locations: s, x)
    return try moveChannels(op, x, to: [n, c], kernel: "pick_locations", channels: c, locations: s, with: locations,
                            walking: n * c) { j, x, out in
        out[j] = x[j * s + Int(locations.values.hostPointer[j / c])]
    }
}

/// The gradient of `pickLocations`: maps [N, C, height, width] holding v [N, C] at each image's location, 0 elsewhere.
public func placeLocations(_ v: Tensor, at locations: RowIndices, height: Int, width: Int) throws -> Tensor {
    let op = "placeLocations"
    try requireRank(op, v, 2, name: "v")
    try requireMapSides(op, height: height, width: width)
    let (n, c, s) = (v.shape[0], v.shape[1], height * width)
    try requireLocations(op, locations, images: n, locations: s, v)
    try requireKernelSizes(op, [try CheckedSize.elements([n, c, height, width])], name: "the maps' element count")
    return try moveChannels(op, v, to: [n, c, height, width], kernel: "place_locations", channels: c, locations: s,
                            with: locations, walking: n * c * s) { i, v, x in
        x[i] = i % s == Int(locations.values.hostPointer[i / (c * s)]) ? v[i / s] : 0
    }
}

/// Map sides of at least 1 and at most the kernels' 32-bit sizes.
private func requireMapSides(_ op: String, height: Int, width: Int) throws {
    guard height >= 1, width >= 1 else {
        throw SimileError.invalidArgument("\(op): maps of \(height)×\(width) locations")
    }
    try requireKernelSizes(op, [height, width], name: "the map sides")
}

/// One location per image, each checked against the maps' `locations` and on the tensor's device.
private func requireLocations(_ op: String, _ at: RowIndices, images: Int, locations: Int, _ tensor: Tensor) throws {
    guard at.count == images, at.rows <= locations else {
        throw SimileError.shapeMismatch(op: op, detail: "\(at.count) locations checked against \(at.rows) for "
                                        + "\(images) maps of \(locations) locations")
    }
    try requireSameDevice(op, tensor, at.values)
}

/// The output of shape `shape` on x's device: on the CPU `move(i, input, output)` for each i below `walking` (the
/// element count of the side the op indexes by), on OpenCL the kernel `kernel` of channels_last.cl over the output.
/// `with` adds the locations of `pickLocations` and `placeLocations` to the kernel's arguments.
private func moveChannels(_ op: String, _ x: Tensor, to shape: [Int], kernel name: String, channels: Int,
                          locations: Int, with picked: RowIndices? = nil, walking count: Int,
                          _ move: (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) throws -> Tensor {
    try requireKernelSizes(op, [x.count], name: "the element count")
    let out = try Tensor(uninitialized: shape, on: x.device)
    guard out.count > 0 else { return out }
    switch x.device.backend {
    case .cpu(let cpu):
        let (source, target) = (UnsafePointer(x.hostPointer), out.hostPointer)
        cpu.parallelFor(count, grain: locations, work: count) { range in
            for i in range { move(i, source, target) }
        }
    case .opencl(let cl):
        let kernel = try cl.kernel(name, program: "channels_last", source: KernelSource.channelsLast)
        try cl.launch(kernel, name: name, global: [out.count],
                      [.buffer(x.clBuffer)] + (picked.map { [.buffer($0.values.clBuffer)] } ?? [])
                        + [.int(channels), .int(locations), .buffer(out.clBuffer)])
    }
    return out
}
