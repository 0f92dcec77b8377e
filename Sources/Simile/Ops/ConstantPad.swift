import Kernels

/// How many channels, rows and columns a padding adds before and after those of a map [N, C, H, W]: PyTorch's
/// `F.pad(x, (left, right, top, bottom, front, back))`. CPC's masked convolutions pad one side only (a row on top,
/// a column each side); a zero-padded shortcut adds channels.
public struct MapPadding: Equatable, Sendable, CustomStringConvertible {
    public var channels: (before: Int, after: Int)
    public var rows: (before: Int, after: Int)
    public var columns: (before: Int, after: Int)

    public init(channels: (before: Int, after: Int) = (0, 0), rows: (before: Int, after: Int) = (0, 0),
                columns: (before: Int, after: Int) = (0, 0)) {
        (self.channels, self.rows, self.columns) = (channels, rows, columns)
    }

    public static func == (a: MapPadding, b: MapPadding) -> Bool { a.sides == b.sides }

    var sides: [Int] { [channels.before, channels.after, rows.before, rows.after, columns.before, columns.after] }

    public var description: String {
        "channels \(channels.before)+\(channels.after), rows \(rows.before)+\(rows.after), columns "
            + "\(columns.before)+\(columns.after)"
    }

    /// The shape of a map of `shape` padded so.
    func padded(_ shape: [Int]) -> [Int] {
        [shape[0], shape[1] + channels.before + channels.after, shape[2] + rows.before + rows.after,
         shape[3] + columns.before + columns.after]
    }
}

/// x [N, C, H, W] with `padding` added around its channels, rows and columns, filled with `value` (0: zero padding).
public func constantPad(_ x: Tensor, _ padding: MapPadding, value: Float = 0) throws -> Tensor {
    let op = "constantPad"
    try requirePadding(op, x.shape, padding, name: "x")
    guard value.isFinite else { throw SimileError.invalidArgument("\(op): value must be finite, got \(value)") }
    let out = try Tensor(uninitialized: padding.padded(x.shape), on: x.device)
    try movePadded(x, out, padding, value: value, kernel: "constant_pad")
    return out
}

/// The gradient of `constantPad` for the gradient `dy` of its output: the values at x's own places.
public func constantPadBackward(_ dy: Tensor, _ padding: MapPadding, inputShape: [Int]) throws -> Tensor {
    let op = "constantPadBackward"
    try requirePadding(op, inputShape, padding, name: "inputShape")
    guard dy.shape == padding.padded(inputShape) else {
        throw SimileError.shapeMismatch(op: op, detail: "dy \(dy.shape) is not \(inputShape) padded by \(padding)")
    }
    let dx = try Tensor(uninitialized: inputShape, on: dy.device)
    try movePadded(dx, dy, padding, value: 0, kernel: "crop")
    return dx
}

/// Fills `out` from `x` (constant_pad) or `x` from `out` (crop, `value` unused) on their device.
private func movePadded(_ x: Tensor, _ out: Tensor, _ padding: MapPadding, value: Float, kernel name: String) throws {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (oc, oh, ow) = (out.shape[1], out.shape[2], out.shape[3])
    let (cb, hb, wb) = (padding.channels.before, padding.rows.before, padding.columns.before)
    let filling = name == "constant_pad"
    guard (filling ? out.count : x.count) > 0 else { return }
    switch x.device.backend {
    case .cpu(let cpu):
        let (inner, outer) = (x.hostPointer, out.hostPointer)
        cpu.parallelFor(n * oc, work: out.count) { planes in
            for plane in planes {
                let (image, channel) = (plane / oc, plane % oc - cb)
                let inside = (0..<c).contains(channel)
                for row in 0..<oh {
                    let target = outer + (plane * oh + row) * ow, source = row - hb
                    guard inside, (0..<h).contains(source) else {
                        if filling { target.update(repeating: value, count: ow) }
                        continue
                    }
                    let line = inner + ((image * c + channel) * h + source) * w
                    if filling {
                        target.update(repeating: value, count: wb)
                        (target + wb).update(from: line, count: w)
                        (target + wb + w).update(repeating: value, count: ow - wb - w)
                    } else {
                        line.update(from: target + wb, count: w)
                    }
                }
            }
        }
    case .opencl(let cl):
        let kernel = try cl.kernel(name, program: "pad", source: KernelSource.pad)
        try cl.launch(kernel, name: name, global: [filling ? out.count : x.count],
                      [.buffer((filling ? x : out).clBuffer), .int(c), .int(h), .int(w), .int(oc), .int(oh), .int(ow),
                       .int(cb), .int(hb), .int(wb)] + (filling ? [.float(value)] : [])
                        + [.buffer((filling ? out : x).clBuffer)])
    }
}

/// A 4-D shape and a padding of non-negative sides whose padded size stays within the kernels' 32-bit indices.
private func requirePadding(_ op: String, _ shape: [Int], _ padding: MapPadding, name: String) throws {
    try requireNCHW(op, shape, name: name)
    guard padding.sides.allSatisfy({ (0...Int(Int32.max)).contains($0) }) else {
        throw SimileError.invalidArgument("\(op): padding sides must be ≥ 0, got \(padding)")
    }
    try requireKernelSizes(op, [try CheckedSize.elements(padding.padded(shape))], name: "the padded element count")
}
