extension ResNet {
    /// An estimate of the floats one image of `height`×`width` takes in a training step, to refuse a view size that
    /// cannot fit before the first step allocates it: each convolution's output is kept for the backward pass (by
    /// the batch norm after it), so is the batch norm's output (by the next convolution or the residual), and the
    /// backward pass holds a gradient of that size; so 3 floats per output element of every convolution. nil when
    /// the count exceeds `Int`.
    public func trainingFloatsPerImage(height: Int, width: Int) -> Int? {
        func out(_ side: Int, kernel: Int, stride: Int, padding: Int) -> Int {
            max(0, (side + 2 * padding - kernel) / stride + 1)
        }
        var (h, w, total) = (height, width, 0)
        for (name, layer) in namedLayers() {
            if let conv = layer as? Conv2d {
                let shape = conv.weight.value.shape
                // A block's shortcut convolution maps its input to the size its first convolution already gave.
                if !name.hasSuffix("downsample.0") {
                    (h, w) = (out(h, kernel: shape[2], stride: conv.stride, padding: conv.padding),
                              out(w, kernel: shape[3], stride: conv.stride, padding: conv.padding))
                }
                guard let floats = CheckedSize.product([3, shape[0], h, w]) else { return nil }
                let (sum, overflow) = total.addingReportingOverflow(floats)
                if overflow { return nil }
                total = sum
            } else if let pool = layer as? MaxPool2d {
                (h, w) = (out(h, kernel: pool.kernelSize, stride: pool.stride, padding: pool.padding),
                          out(w, kernel: pool.kernelSize, stride: pool.stride, padding: pool.padding))
            }
        }
        return total
    }
}
