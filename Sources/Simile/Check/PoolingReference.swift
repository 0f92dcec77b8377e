extension Reference {
    /// Output height and width of a k×k pooling window with `stride` and `padding` over x [N, C, H, W] (floor mode).
    public static func poolOutputSize(_ shape: [Int], kernelSize k: Int, stride: Int, padding: Int) -> (height: Int, width: Int) {
        ((shape[2] + 2 * padding - k) / stride + 1, (shape[3] + 2 * padding - k) / stride + 1)
    }

    /// Max pooling as PyTorch's F.max_pool2d: padding positions are skipped (−∞), the first maximum in row-major
    /// window order wins ties, a NaN replaces the running maximum. Returns y and each output's index h·W + w.
    public static func maxPool2d(_ x: [Double], shape: [Int], kernelSize k: Int, stride: Int,
                                 padding: Int) -> (y: [Double], argmax: [Int]) {
        var y: [Double] = [], argmax: [Int] = []
        forEachWindow(shape, kernelSize: k, stride: stride, padding: padding) { plane, positions in
            var best = -Double.infinity, index = positions[0]
            for position in positions {
                let value = x[plane * shape[2] * shape[3] + position]
                if value > best || value.isNaN { (best, index) = (value, position) }
            }
            y.append(best)
            argmax.append(index)
        }
        return (y, argmax)
    }

    /// dL/dx of max pooling at x: each dy goes to the element its window chose.
    public static func maxPool2dBackward(_ x: [Double], _ dy: [Double], shape: [Int], kernelSize k: Int, stride: Int,
                                         padding: Int) -> [Double] {
        let argmax = maxPool2d(x, shape: shape, kernelSize: k, stride: stride, padding: padding).argmax
        let outPlane = argmax.count / max(1, shape[0] * shape[1]), plane = shape[2] * shape[3]
        var dx = [Double](repeating: 0, count: x.count)
        for (o, index) in argmax.enumerated() { dx[o / outPlane * plane + index] += dy[o] }
        return dx
    }

    /// Average pooling with count_include_pad: each window sum divided by k².
    public static func avgPool2d(_ x: [Double], shape: [Int], kernelSize k: Int, stride: Int, padding: Int) -> [Double] {
        var y: [Double] = []
        forEachWindow(shape, kernelSize: k, stride: stride, padding: padding) { plane, positions in
            y.append(positions.reduce(0) { $0 + x[plane * shape[2] * shape[3] + $1] } / Double(k * k))
        }
        return y
    }

    /// dL/dx of average pooling: each dy / k² added to every input element of its window.
    public static func avgPool2dBackward(_ dy: [Double], inputShape shape: [Int], kernelSize k: Int, stride: Int,
                                         padding: Int) -> [Double] {
        var dx = [Double](repeating: 0, count: shape.reduce(1, *)), o = 0
        forEachWindow(shape, kernelSize: k, stride: stride, padding: padding) { plane, positions in
            for position in positions { dx[plane * shape[2] * shape[3] + position] += dy[o] / Double(k * k) }
            o += 1
        }
        return dx
    }

    /// Mean of each H×W plane: [N, C, H, W] → [N, C].
    public static func globalAvgPool(_ x: [Double], shape: [Int]) -> [Double] {
        sumAxis(x, outer: shape[0] * shape[1], n: shape[2] * shape[3], inner: 1).map { $0 / Double(shape[2] * shape[3]) }
    }

    /// dL/dx of the global average: dy[n, c] / (H·W) at every element of plane (n, c).
    public static func globalAvgPoolBackward(_ dy: [Double], inputShape shape: [Int]) -> [Double] {
        let plane = shape[2] * shape[3]
        return (0..<dy.count * plane).map { dy[$0 / plane] / Double(plane) }
    }

    /// Calls `body(plane, positions)` for every output in NCHW order, with the in-plane indices h·W + w of the
    /// window's input elements in row-major window order (padding positions left out).
    private static func forEachWindow(_ shape: [Int], kernelSize k: Int, stride: Int, padding: Int,
                                      _ body: (Int, [Int]) -> Void) {
        let (height, width) = (shape[2], shape[3])
        let out = poolOutputSize(shape, kernelSize: k, stride: stride, padding: padding)
        for plane in 0..<shape[0] * shape[1] {
            for oh in 0..<out.height {
                for ow in 0..<out.width {
                    var positions: [Int] = []
                    for i in 0..<k {
                        for j in 0..<k {
                            let h = oh * stride - padding + i, w = ow * stride - padding + j
                            if (0..<height).contains(h), (0..<width).contains(w) { positions.append(h * width + w) }
                        }
                    }
                    body(plane, positions)
                }
            }
        }
    }
}
