/// The CPU path of `augment`, threaded over views: each view is made in place in its output slice, one op after
/// the other, in the float32 steps of Kernels/augment.cl (same formulas, same order of sums), so both backends agree
/// to rounding. Only contrast's mean is summed in Double here (in float on the device).
extension CPUBackend {
    func augment(_ source: UnsafePointer<UInt8>, layout: AugmentLayout,
                 views: [(image: Int, parameters: ViewParameters)], into output: UnsafeMutablePointer<Float>) {
        let viewSize = layout.channels * layout.outputPixels
        parallelFor(views.count, work: views.count * viewSize * 64) { range in
            var scratch = [Float](repeating: 0, count: viewSize)
            for index in range {
                let (image, parameters) = views[index]
                let view = AugmentedView(pointer: output + index * viewSize, layout: layout)
                view.resize(source + image * layout.imageSize, parameters.crop, flip: parameters.flip)
                for step in parameters.jitter { view.apply(step) }
                if parameters.grayscale && layout.channels == 3 { view.grayscale() }
                if let blur = parameters.blur { view.blur(blur.weights, scratch: &scratch) }
                if let threshold = parameters.solarize { view.solarize(threshold) }
                view.normalise()
                if let jigsaw = parameters.jigsaw { view.rearrange(jigsaw, scratch: &scratch) }
            }
        }
    }
}

/// One view's output slice [C, outH, outW] and the steps that fill it.
private struct AugmentedView {
    let pointer: UnsafeMutablePointer<Float>
    let layout: AugmentLayout

    private var pixels: Int { layout.outputPixels }

    /// The crop box of `image` resized to the output by the antialiased bilinear taps (`ResizeTaps`), column ox read
    /// from outW − 1 − ox when flipped: value = Σ_y w_y · Σ_x w_x · pixel, then / 255.
    func resize(_ image: UnsafePointer<UInt8>, _ crop: ViewParameters.Crop, flip: Bool) {
        let rows = (0..<layout.outputHeight).map { ResizeTaps($0, input: crop.height, output: layout.outputHeight) }
        let columns = (0..<layout.outputWidth).map {
            ResizeTaps(flip ? layout.outputWidth - 1 - $0 : $0, input: crop.width, output: layout.outputWidth)
        }
        for c in 0..<layout.channels {
            let plane = image + (c * layout.height + crop.top) * layout.width + crop.left
            for (oy, row) in rows.enumerated() {
                for (ox, column) in columns.enumerated() {
                    var sum: Float = 0
                    for (y, wy) in zip(row.first..., row.weights) {
                        var line: Float = 0
                        for (x, wx) in zip(column.first..., column.weights) { line += wx * Float(plane[y * layout.width + x]) }
                        sum += wy * line
                    }
                    pointer[(c * layout.outputHeight + oy) * layout.outputWidth + ox] = sum / 255
                }
            }
        }
    }

    /// Channel c's plane of the view.
    private func plane(_ c: Int) -> UnsafeMutablePointer<Float> { pointer + c * pixels }

    /// One jitter step over the whole view (torchvision's `_blend` definitions; see `augment`), as loops over planes.
    func apply(_ step: ViewParameters.JitterStep) {
        let f = step.factor, count = layout.channels * pixels
        switch step.kind {
        case .brightness:
            for i in 0..<count { pointer[i] = min(max(f * pointer[i], 0), 1) }
        case .contrast:
            let mean = meanLuma()
            for i in 0..<count { pointer[i] = blend(pointer[i], mean, f) }
        case .saturation:
            let (r, g, b) = (plane(0), plane(1), plane(2))
            for i in 0..<pixels {
                let gray = luma(r[i], g[i], b[i])
                (r[i], g[i], b[i]) = (blend(r[i], gray, f), blend(g[i], gray, f), blend(b[i], gray, f))
            }
        case .hue:
            let (r, g, b) = (plane(0), plane(1), plane(2))
            for i in 0..<pixels { (r[i], g[i], b[i]) = shiftHue(r[i], g[i], b[i], f) }
        }
    }

    /// The mean gray of the view (of its one channel for 1-channel images), summed in Double.
    private func meanLuma() -> Float {
        var total = 0.0
        if layout.channels == 1 {
            for i in 0..<pixels { total += Double(pointer[i]) }
        } else {
            let (r, g, b) = (plane(0), plane(1), plane(2))
            for i in 0..<pixels { total += Double(luma(r[i], g[i], b[i])) }
        }
        return Float(total / Double(pixels))
    }

    /// Every channel = gray(x).
    func grayscale() {
        let (r, g, b) = (plane(0), plane(1), plane(2))
        for i in 0..<pixels {
            let gray = luma(r[i], g[i], b[i])
            (r[i], g[i], b[i]) = (gray, gray, gray)
        }
    }

    /// Separable blur with reflect padding: rows into `scratch` (each row first copied with its padding), then
    /// columns back into the view. Each output is Σ_k w_k · x_k summed in k order, as in the kernel; the loops run k
    /// outside x so that they vectorise over x.
    func blur(_ weights: [Float], scratch: inout [Float]) {
        let radius = weights.count / 2, (height, width) = (layout.outputHeight, layout.outputWidth)
        var padded = [Float](repeating: 0, count: width + 2 * radius)
        for row in 0..<(layout.channels * height) {
            let source = pointer + row * width
            for j in padded.indices { padded[j] = source[reflect(j - radius, width)] }
            let target = row * width
            for x in 0..<width { scratch[target + x] = 0 }
            for (k, w) in weights.enumerated() {
                for x in 0..<width { scratch[target + x] += w * padded[x + k] }
            }
        }
        for c in 0..<layout.channels {
            for y in 0..<height {
                let target = plane(c) + y * width
                for x in 0..<width { target[x] = 0 }
                for (k, w) in weights.enumerated() {
                    let source = (c * height + reflect(y + k - radius, height)) * width
                    for x in 0..<width { target[x] += w * scratch[source + x] }
                }
            }
        }
    }

    /// torchvision's `solarize` on floats: x ≥ t ? 1 − x : x.
    func solarize(_ threshold: Float) {
        for i in 0..<layout.channels * pixels where pointer[i] >= threshold { pointer[i] = 1 - pointer[i] }
    }

    /// (x − mean_c) / std_c.
    func normalise() {
        for c in 0..<layout.channels {
            let (mean, std, values) = (layout.mean[c], layout.std[c], plane(c))
            for i in 0..<pixels { values[i] = (values[i] - mean) / std }
        }
    }

    /// The jigsaw: the finished view copied to `scratch`, the view zeroed, and each piece's window copied back to
    /// its place in the packed grid, row by row.
    func rearrange(_ jigsaw: ViewParameters.Jigsaw, scratch: inout [Float]) {
        let (height, width, size) = (layout.outputHeight, layout.outputWidth, jigsaw.size)
        scratch.withUnsafeMutableBufferPointer { copy in
            copy.baseAddress!.update(from: pointer, count: layout.channels * pixels)
            pointer.update(repeating: 0, count: layout.channels * pixels)
            for (t, piece) in jigsaw.pieces.enumerated() {
                let (top, left) = (t / jigsaw.grid * size, t % jigsaw.grid * size)
                for c in 0..<layout.channels {
                    for y in 0..<size {
                        (plane(c) + (top + y) * width + left)
                            .update(from: copy.baseAddress! + (c * height + piece.top + y) * width + piece.left,
                                    count: size)
                    }
                }
            }
        }
    }
}

/// The taps of output index i when resizing `input` samples to `output` (torch's antialiased bilinear): scale =
/// input/output, support = max(scale, 1), center = scale·(i + 0.5); taps j from max(trunc(center − support + 0.5), 0)
/// to min(trunc(center + support + 0.5), input) exclusive, weight max(0, 1 − |j − center + 0.5| / support), each
/// divided by their total. Upscaling this is plain bilinear (align_corners False, edges clamped).
private struct ResizeTaps {
    let first: Int
    let weights: [Float]

    init(_ i: Int, input: Int, output: Int) {
        let scale = Float(input) / Float(output)
        let support = max(scale, 1), center = scale * (Float(i) + 0.5)
        first = max(Int(center - support + 0.5), 0)
        let end = min(Int(center + support + 0.5), input)
        let raw = (first..<end).map { max(0, 1 - abs((Float($0) - center + 0.5) / support)) }
        let total = raw.reduce(0, +)
        weights = raw.map { $0 / total }
    }
}

/// gray(x) = 0.2989·R + 0.587·G + 0.114·B.
private func luma(_ r: Float, _ g: Float, _ b: Float) -> Float { 0.2989 * r + 0.587 * g + 0.114 * b }

/// torchvision's `_blend`: clamp(f·x + (1 − f)·y, 0, 1).
private func blend(_ x: Float, _ y: Float, _ f: Float) -> Float { min(max(f * x + (1 - f) * y, 0), 1) }

/// The reflect-padded index of i in [0, n): the edge sample is not repeated.
private func reflect(_ i: Int, _ n: Int) -> Int { i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i }

/// torchvision's adjust_hue at one pixel: `_rgb2hsv`, h' = (h + shift) mod 1, `_hsv2rgb`. torchvision's
/// fmod(h/6 + 1, 1) is taken as a − ⌊a⌋, the same float for a = h/6 + 1 in [5/6, 11/6].
private func shiftHue(_ r: Float, _ g: Float, _ b: Float, _ shift: Float) -> (Float, Float, Float) {
    let maxc = max(max(r, g), b), minc = min(min(r, g), b)
    let equal = maxc == minc, cr = maxc - minc
    let s = cr / (equal ? 1 : maxc)
    let divisor: Float = equal ? 1 : cr
    let rc = (maxc - r) / divisor, gc = (maxc - g) / divisor, bc = (maxc - b) / divisor
    let h6 = maxc == r ? bc - gc : maxc == g ? 2 + rc - bc : 4 + gc - rc
    let wrapped = h6 / 6 + 1
    var h = wrapped - wrapped.rounded(.down) + shift
    h -= h.rounded(.down)
    let v = maxc, sector = (h * 6).rounded(.down), f = h * 6 - sector
    let p = min(max(v * (1 - s), 0), 1)
    let q = min(max(v * (1 - s * f), 0), 1)
    let t = min(max(v * (1 - s * (1 - f)), 0), 1)
    switch Int(sector) % 6 {
    case 0: return (v, t, p)
    case 1: return (q, v, p)
    case 2: return (p, v, t)
    case 3: return (p, q, v)
    case 4: return (t, p, v)
    default: return (v, p, q)
    }
}
