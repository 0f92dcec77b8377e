/// Augments a batch of uint8 images into float32 views on `device`: view v is `views[v].parameters` applied to
/// image `views[v].image` of `batch` (a contiguous [N, C, H, W] uint8 buffer, `shape`), returned as
/// [V, C, outputHeight, outputWidth]. The ops, in SimCLR's order with BYOL's solarisation after the blur, as
/// torchvision defines them on float images x = uint8 / 255 in [0, 1]:
/// - resized crop: the crop box (source pixels) resized by torch's `interpolate(mode: "bilinear",
///   align_corners: False, antialias: True)`, a separable triangle filter widened by the scale when downscaling;
/// - horizontal flip;
/// - jitter steps in their drawn order: brightness clamp(f·x, 0, 1); contrast clamp(f·x + (1 − f)·m, 0, 1) with m the
///   mean luma of the view as it is at that step (of its one channel for 1-channel images); saturation
///   clamp(f·x + (1 − f)·gray(x), 0, 1) per pixel; hue: torchvision's `_rgb2hsv`, h' = (h + f) mod 1, `_hsv2rgb`;
/// - grayscale: every channel = gray(x) = 0.2989·R + 0.587·G + 0.114·B (torchvision's `rgb_to_grayscale` constants;
///   ITU-R 601 rounds the first to 0.299); a no-op on 1-channel images;
/// - Gaussian blur: separable, torchvision's weights (`ViewParameters.Blur.weights`) and reflect padding;
/// - solarisation at threshold t (torchvision's `solarize` on floats): x ≥ t ? 1 − x : x;
/// - normalisation (x − mean_c) / std_c, when the config gives them;
/// - PIRL's jigsaw: piece t of `size` × `size` pixels, the window of the view at `pieces[t]`, moved to row ⌊t/grid⌋,
///   column t mod grid of a grid of pieces packed into the top-left corner; every other pixel 0.
/// The CPU path is threaded over views; OpenCL uploads the bytes once and runs one fused kernel (Kernels/augment.cl).
/// Both compute the same float32 steps in the same order, and agree to rounding (contractions into fma, and the order
/// of contrast's mean).
public func augment(batch: [UInt8], shape: [Int], views: [(image: Int, parameters: ViewParameters)],
                    config: AugmentationConfig, on device: Device) throws -> Tensor {
    let layout = try AugmentLayout(batch: batch, shape: shape, views: views, config: config)
    let output = try Tensor(uninitialized: [views.count, layout.channels, layout.outputHeight, layout.outputWidth],
                            on: device)
    guard !views.isEmpty else { return output }
    try batch.withUnsafeBufferPointer { pixels in
        switch device.backend {
        case .cpu(let cpu):
            cpu.augment(pixels.baseAddress!, layout: layout, views: views, into: output.hostPointer)
        case .opencl(let cl):
            try cl.augment(UnsafeRawBufferPointer(pixels), layout: layout, views: views, into: output)
        }
    }
    return output
}

/// The sizes of one `augment` call, checked: the source batch [images, channels, height, width], the output side,
/// and the normalisation (mean 0 and std 1 per channel when the config has none, which leaves values unchanged).
struct AugmentLayout {
    let images: Int
    let channels: Int
    let height: Int
    let width: Int
    let outputHeight: Int
    let outputWidth: Int
    let mean: [Float]
    let std: [Float]

    var imageSize: Int { channels * height * width }
    var outputPixels: Int { outputHeight * outputWidth }

    init(batch: [UInt8], shape: [Int], views: [(image: Int, parameters: ViewParameters)],
         config: AugmentationConfig) throws {
        let op = "augment"
        try config.validate()
        guard shape.count == 4, shape.allSatisfy({ $0 > 0 }) else {
            throw SimileError.shapeMismatch(op: op, detail: "expected a batch shape [N, C, H, W] of positive sizes, got \(shape)")
        }
        guard try CheckedSize.elements(shape) == batch.count else {
            throw SimileError.shapeMismatch(op: op, detail: "\(batch.count) bytes do not fill shape \(shape)")
        }
        guard shape[1] == config.channels else {
            throw SimileError.shapeMismatch(op: op, detail: "the batch has \(shape[1]) channels, the config \(config.channels)")
        }
        (images, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
        (outputHeight, outputWidth) = (config.outputHeight, config.outputWidth)
        mean = config.mean.isEmpty ? Array(repeating: 0, count: channels) : config.mean
        std = config.std.isEmpty ? Array(repeating: 1, count: channels) : config.std
        for (index, (image, view)) in views.enumerated() { try check(view, of: image, index: index) }
    }

    /// A view must name an image of the batch, crop inside it, use colour steps only on 3 channels, blur with an
    /// odd kernel whose reflect padding fits the output and solarise at a threshold in [0, 1] (torchvision refuses
    /// one above the images' maximum, 1).
    private func check(_ view: ViewParameters, of image: Int, index: Int) throws {
        func fail(_ detail: String) -> SimileError { .invalidArgument("augment: view \(index): \(detail)") }
        guard image >= 0, image < images else { throw fail("image \(image) is outside the batch of \(images)") }
        let crop = view.crop
        guard crop.top >= 0, crop.left >= 0, crop.height > 0, crop.width > 0, crop.top + crop.height <= height,
              crop.left + crop.width <= width else {
            throw fail("crop [top \(crop.top), left \(crop.left), \(crop.height)×\(crop.width)] is not inside the "
                       + "\(height)×\(width) image")
        }
        if channels == 1, let step = view.jitter.first(where: { $0.kind == .saturation || $0.kind == .hue }) {
            throw fail("\(step.kind) needs 3 channels")
        }
        guard view.jitter.count <= 4, Set(view.jitter.map(\.kind)).count == view.jitter.count else {
            throw fail("each jitter op may appear once")
        }
        if let blur = view.blur {
            guard blur.kernelSize > 0, blur.kernelSize % 2 == 1, blur.kernelSize / 2 < min(outputHeight, outputWidth),
                  blur.sigma > 0 else {
                throw fail("blur needs an odd kernel narrower than twice the output and σ > 0, got "
                           + "\(blur.kernelSize) and \(blur.sigma)")
            }
        }
        if let threshold = view.solarize, !(0...1).contains(threshold) {
            throw fail("solarize needs a threshold in [0, 1], got \(threshold)")
        }
        if let jigsaw = view.jigsaw {
            let (grid, size) = (jigsaw.grid, jigsaw.size)
            guard grid >= 1, size >= 1, grid <= min(outputHeight, outputWidth) / size,
                  jigsaw.pieces.count == grid * grid else {
                throw fail("a jigsaw of \(jigsaw.pieces.count) pieces of \(size)×\(size) needs grid² pieces of a grid "
                           + "that fits the \(outputHeight)×\(outputWidth) output, got grid \(grid)")
            }
            if let (t, piece) = jigsaw.pieces.enumerated().first(where: { _, piece in
                piece.top < 0 || piece.left < 0 || piece.top > outputHeight - size || piece.left > outputWidth - size
            }) {
                throw fail("jigsaw piece \(t) at [top \(piece.top), left \(piece.left)] is not inside the "
                           + "\(outputHeight)×\(outputWidth) view")
            }
        }
    }
}
