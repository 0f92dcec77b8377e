/// The image's centre square (the largest, as torchvision's `Resize(s)` then `CenterCrop(s)` keep) resampled to
/// `side` × `side`, written as channel-major (CHW) planes: how a streamed image folder (`folder:DIR@SIZE`) gives
/// images of any size and shape one training size.
///
/// Resampling is separable with a triangle filter whose support grows with the scale (PIL's antialiased bilinear):
/// output pixel o of a row of n inputs resampled to m takes inputs i with weight max(0, 1 − |i + ½ − c| / s),
/// where c = (o + ½)·n/m and s = max(n/m, 1), normalised to sum to 1. Downscaling so averages every input under the
/// output pixel (no aliasing); upscaling is bilinear. Rows first, into floats, then columns, rounded to bytes.
extension RGBImage {
    func writeCenterSquare(side: Int, to planes: UnsafeMutableBufferPointer<UInt8>) {
        precondition(side >= 1 && planes.count == 3 * side * side, "writeCenterSquare: \(planes.count) bytes")
        let square = min(width, height)
        let (left, top) = ((width - square) / 2, (height - square) / 2)
        let taps = Self.triangleTaps(inputs: square, outputs: side)
        // Horizontal: square rows × side columns × 3 channels.
        var rows = [Float](repeating: 0, count: square * side * 3)
        pixels.withUnsafeBufferPointer { rgb in
            for y in 0..<square {
                let row = (top + y) * width + left
                for x in 0..<side {
                    var (r, g, b): (Float, Float, Float) = (0, 0, 0)
                    for (input, weight) in taps[x] {
                        let pixel = 3 * (row + input)
                        r += weight * Float(rgb[pixel])
                        g += weight * Float(rgb[pixel + 1])
                        b += weight * Float(rgb[pixel + 2])
                    }
                    let out = 3 * (y * side + x)
                    (rows[out], rows[out + 1], rows[out + 2]) = (r, g, b)
                }
            }
        }
        let plane = side * side
        for y in 0..<side {
            for x in 0..<side {
                var (r, g, b): (Float, Float, Float) = (0, 0, 0)
                for (input, weight) in taps[y] {
                    let pixel = 3 * (input * side + x)
                    r += weight * rows[pixel]
                    g += weight * rows[pixel + 1]
                    b += weight * rows[pixel + 2]
                }
                let out = y * side + x
                planes[out] = Self.byte(r)
                planes[plane + out] = Self.byte(g)
                planes[2 * plane + out] = Self.byte(b)
            }
        }
    }

    /// For each of `outputs` pixels, the inputs it reads and their weights (see the type's comment).
    static func triangleTaps(inputs: Int, outputs: Int) -> [[(input: Int, weight: Float)]] {
        let scale = Double(inputs) / Double(outputs), support = max(scale, 1)
        return (0..<outputs).map { output in
            let centre = (Double(output) + 0.5) * scale
            let first = max(0, Int((centre - support).rounded(.down)))
            let last = min(inputs - 1, Int((centre + support).rounded(.up)))
            var taps: [(input: Int, weight: Double)] = []
            for input in first...last {
                let distance = abs(Double(input) + 0.5 - centre) / support
                if distance < 1 { taps.append((input, 1 - distance)) }
            }
            if taps.isEmpty { taps = [(min(inputs - 1, max(0, Int(centre))), 1)] }
            let total = taps.reduce(0) { $0 + $1.weight }
            return taps.map { (input: $0.input, weight: Float($0.weight / total)) }
        }
    }

    private static func byte(_ value: Float) -> UInt8 { UInt8(max(0, min(255, value.rounded()))) }
}
