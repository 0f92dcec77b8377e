/// A picture of what a model is trained on (`simile augment --preview`): one row per image, the original beside
/// its views, each magnified by a whole factor so that small images (8×8 digits) are visible, on a gray ground
/// with a 2-pixel gap. Views are shown as the model sees them before normalisation: x·std + mean, clamped to [0, 1].
public struct PreviewGrid {
    public let width: Int
    public let height: Int
    public let channels: Int
    /// Row-major, channels interleaved (gray or RGB), as `writePNG` takes them.
    public let pixels: [UInt8]

    /// `originals`: the images as stored (uint8 CHW of `sourceHeight` × `sourceWidth`), one per row; `views`: float32
    /// [viewsPerImage·N, C, h, w] ordered view by view, as the loader makes them; `config` gives mean and std.
    public init(originals: [[UInt8]], sourceHeight: Int, sourceWidth: Int, views: Tensor,
                config: AugmentationConfig) throws {
        let rows = originals.count, c = config.channels, (h, w) = (views.shape[2], views.shape[3])
        let perImage = views.shape[0] / max(rows, 1)
        let zoom = max(1, 64 / max(sourceHeight, sourceWidth, h, w))
        let (cellHeight, cellWidth, gap) = (max(sourceHeight, h) * zoom, max(sourceWidth, w) * zoom, 2)
        let gridWidth = gap + (1 + perImage) * (cellWidth + gap), gridHeight = gap + rows * (cellHeight + gap)
        var canvas = [UInt8](repeating: 128, count: gridWidth * gridHeight * c)
        func paint(row: Int, column: Int, imageHeight: Int, imageWidth: Int, _ value: (Int, Int, Int) -> UInt8) {
            let (top, left) = (gap + row * (cellHeight + gap), gap + column * (cellWidth + gap))
            for y in 0..<imageHeight * zoom {
                for x in 0..<imageWidth * zoom {
                    for channel in 0..<c {
                        canvas[((top + y) * gridWidth + left + x) * c + channel] = value(channel, y / zoom, x / zoom)
                    }
                }
            }
        }
        let values = try views.toArray()
        let mean = config.mean.isEmpty ? [Float](repeating: 0, count: c) : config.mean
        let std = config.std.isEmpty ? [Float](repeating: 1, count: c) : config.std
        for (row, original) in originals.enumerated() {
            paint(row: row, column: 0, imageHeight: sourceHeight, imageWidth: sourceWidth) { channel, y, x in
                original[(channel * sourceHeight + y) * sourceWidth + x]
            }
            for view in 0..<perImage {
                let base = (view * rows + row) * c * h * w
                paint(row: row, column: 1 + view, imageHeight: h, imageWidth: w) { channel, y, x in
                    let shown = values[base + (channel * h + y) * w + x] * std[channel] + mean[channel]
                    return UInt8((min(max(shown, 0), 1) * 255).rounded())
                }
            }
        }
        (width, height, channels, pixels) = (gridWidth, gridHeight, c, canvas)
    }
}
