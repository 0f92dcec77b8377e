import Testing
@testable import Simile

/// A backend for the augmentation tests; on OpenCL optionally with work-groups of `groupSize` items (GPUs' tree
/// reduction and barriers, run on CI's CPU device, whose own choice is one item per group).
struct AugmentTarget: CustomTestStringConvertible, Sendable {
    let backend: TestBackend
    let groupSize: Int?

    var testDescription: String { groupSize.map { "\(backend) groups of \($0)" } ?? "\(backend)" }

    static let all = [AugmentTarget(backend: .cpu, groupSize: nil), AugmentTarget(backend: .opencl, groupSize: nil),
                      AugmentTarget(backend: .opencl, groupSize: 256)]

    func open() throws -> Device? {
        guard let device = try backend.open() else { return nil }
        guard let groupSize, let info = device.openCLInfo else { return device }
        return Device(.opencl(try OpenCLBackend(info, reductionGroupSize: groupSize)))
    }
}

/// Deterministic uint8 images [count, channels, height, width]; the first pixels of each image are gray (equal
/// channels: hue's no-chroma branch) and black and white (the clamps).
func randomImages(_ count: Int, channels: Int, height: Int, width: Int, seed: UInt64) -> [UInt8] {
    var generator = SeededGenerator(seed: seed)
    var bytes = (0..<count * channels * height * width).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    let plane = height * width
    for image in 0..<count {
        for (pixel, value) in [(0, 128), (1, 0), (2, 255)] where pixel < plane {
            for c in 0..<channels { bytes[(image * channels + c) * plane + pixel] = UInt8(value) }
        }
    }
    return bytes
}

/// `augment` of `views` over `batch`, and the float64 reference of the same views, flattened.
func augmentWithReference(_ batch: [UInt8], shape: [Int], views: [(image: Int, parameters: ViewParameters)],
                          config: AugmentationConfig, on device: Device) throws -> (actual: [Float], expected: [Double]) {
    let actual = try augment(batch: batch, shape: shape, views: views, config: config, on: device)
    #expect(actual.shape == [views.count, shape[1], config.outputHeight, config.outputWidth])
    let imageSize = shape[1] * shape[2] * shape[3]
    let expected = views.flatMap { image, parameters in
        let source = Reference.Image(channels: shape[1], height: shape[2], width: shape[3],
                                     bytes: batch[image * imageSize ..< (image + 1) * imageSize])
        return Reference.augmentedView(source, parameters, config: config).values
    }
    return (try actual.toArray(), expected)
}

/// One op at fixed parameters: a source of `source` = (C, H, W), one view, an output of `output` = (H, W).
private struct OpCase: CustomTestStringConvertible, Sendable {
    let name: String
    let source: (channels: Int, height: Int, width: Int)
    let output: (height: Int, width: Int)
    let view: ViewParameters
    var mean: [Float] = []
    var std: [Float] = []

    var testDescription: String { name }

    /// The whole image, not cropped, at the same size, with `change` applied to the view.
    static func whole(_ name: String, channels: Int = 3, height: Int = 9, width: Int = 11,
                      _ change: (inout ViewParameters) -> Void) -> OpCase {
        var view = ViewParameters(crop: .init(top: 0, left: 0, height: height, width: width))
        change(&view)
        return OpCase(name: name, source: (channels, height, width), output: (height, width), view: view)
    }

    static let all: [OpCase] = [
        OpCase(name: "crop, upscaled", source: (3, 12, 10), output: (16, 13),
               view: ViewParameters(crop: .init(top: 2, left: 1, height: 7, width: 5))),
        OpCase(name: "crop, downscaled (antialiased)", source: (3, 30, 28), output: (7, 6),
               view: ViewParameters(crop: .init(top: 3, left: 2, height: 25, width: 26))),
        OpCase(name: "crop, 1 channel, down in height and up in width", source: (1, 20, 5), output: (6, 9),
               view: ViewParameters(crop: .init(top: 1, left: 1, height: 17, width: 4))),
        whole("whole image at its own size (identity)") { _ in },
        whole("flip") { $0.flip = true },
        whole("brightness 1.35") { $0.jitter = [.init(.brightness, 1.35)] },
        whole("brightness 0.6, 1 channel", channels: 1) { $0.jitter = [.init(.brightness, 0.6)] },
        whole("contrast 0.7") { $0.jitter = [.init(.contrast, 0.7)] },
        whole("contrast 1.4, 1 channel", channels: 1) { $0.jitter = [.init(.contrast, 1.4)] },
        whole("saturation 0.65") { $0.jitter = [.init(.saturation, 0.65)] },
        whole("saturation 1.4") { $0.jitter = [.init(.saturation, 1.4)] },
        whole("hue +0.1") { $0.jitter = [.init(.hue, 0.1)] },
        whole("hue −0.1") { $0.jitter = [.init(.hue, -0.1)] },
        whole("hue 0.5") { $0.jitter = [.init(.hue, 0.5)] },
        whole("all four jitter ops in a drawn order") {
            $0.jitter = [.init(.hue, 0.05), .init(.saturation, 0.7), .init(.contrast, 1.3), .init(.brightness, 0.8)]
        },
        whole("grayscale") { $0.grayscale = true },
        whole("grayscale, 1 channel (no-op)", channels: 1) { $0.grayscale = true },
        whole("blur k 5, σ 1.3, reflect padding", height: 8, width: 7) { $0.blur = .init(kernelSize: 5, sigma: 1.3) },
        whole("blur k 3, σ 0.1") { $0.blur = .init(kernelSize: 3, sigma: 0.1) },
        OpCase(name: "normalise", source: (3, 6, 5), output: (6, 5),
               view: ViewParameters(crop: .init(top: 0, left: 0, height: 6, width: 5)),
               mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.243, 0.261]),
        whole("solarize 0.5") { $0.solarize = 0.5 },
        whole("solarize 0.3, 1 channel", channels: 1) { $0.solarize = 0.3 },
        whole("contrast 1.2, then solarize 0.5 (after the mean)") {
            $0.jitter = [.init(.contrast, 1.2)]
            $0.solarize = 0.5
        },
        whole("blur k 3, σ 0.8, then solarize 0.5", height: 8, width: 7) {
            $0.blur = .init(kernelSize: 3, sigma: 0.8)
            $0.solarize = 0.5
        },
        OpCase(name: "solarize 0.5, then normalise", source: (3, 6, 5), output: (6, 5),
               view: ViewParameters(crop: .init(top: 0, left: 0, height: 6, width: 5), solarize: 0.5),
               mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.243, 0.261]),
        whole("jigsaw 3×3 of 2-pixel pieces, cells in reverse order") { $0.jigsaw = jigsaw(size: 2, height: 9, width: 11) },
        whole("jigsaw 3×3 of 3-pixel pieces (no gap), 1 channel", channels: 1) {
            $0.jigsaw = jigsaw(size: 3, height: 9, width: 11)
        },
        whole("blur k 3, σ 0.8, solarize 0.5, then jigsaw 2×2 (one scratch for both)", height: 8, width: 7) {
            $0.blur = .init(kernelSize: 3, sigma: 0.8)
            $0.solarize = 0.5
            $0.jigsaw = jigsaw(grid: 2, size: 2, height: 8, width: 7)
        },
        OpCase(name: "normalise, then jigsaw (the gaps stay 0)", source: (3, 9, 9), output: (9, 9),
               view: ViewParameters(crop: .init(top: 0, left: 0, height: 9, width: 9),
                                    jigsaw: jigsaw(size: 2, height: 9, width: 9)),
               mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.243, 0.261]),
    ]

    /// A jigsaw of a `height` × `width` view whose pieces take the cells in reverse order, each window at a place
    /// that depends on its cell (the cell's far corner for even cells, its origin for odd ones).
    static func jigsaw(grid: Int = 3, size: Int, height: Int, width: Int) -> ViewParameters.Jigsaw {
        let (cellHeight, cellWidth) = (height / grid, width / grid)
        let pieces = (0 ..< grid * grid).reversed().map { cell in
            let far = cell % 2 == 0
            return ViewParameters.Jigsaw.Piece(cell: cell, top: cell / grid * cellHeight + (far ? cellHeight - size : 0),
                                               left: cell % grid * cellWidth + (far ? cellWidth - size : 0))
        }
        return ViewParameters.Jigsaw(grid: grid, size: size, pieces: pieces)
    }
}

@Suite struct AugmentOpTests {
    @Test("each op at fixed parameters matches float64", arguments: AugmentTarget.all, OpCase.all)
    private func opMatchesReference(target: AugmentTarget, op: OpCase) throws {
        guard let device = try target.open() else { return }
        let (c, h, w) = op.source
        let config = AugmentationConfig(outputHeight: op.output.height, outputWidth: op.output.width, channels: c,
                                        crop: nil, flipProbability: 0, jitter: nil, grayscaleProbability: 0,
                                        mean: op.mean, std: op.std)
        let batch = randomImages(2, channels: c, height: h, width: w, seed: 11)
        let (actual, expected) = try augmentWithReference(batch, shape: [2, c, h, w], views: [(1, op.view), (0, op.view)],
                                                          config: config, on: device)
        expectClose(actual, expected, tolerance: 2e-5, op.name)
    }

    /// Pixels 0, 127, 128, 129 and 255 at the threshold 128/255: torchvision's `img >= threshold` solarises 128 itself
    /// (a `>` would leave it at 128/255), then the view is normalised by mean 0.25, std 0.5. Through the crop-resize
    /// alone, through pass 2 (contrast 1) and through the blur (k 1: weight 1), as each path stores the last step.
    @Test("solarize: hand values just below, at and above the threshold, before normalisation",
          arguments: AugmentTarget.all)
    func solarizeAtThreshold(target: AugmentTarget) throws {
        guard let device = try target.open() else { return }
        let config = AugmentationConfig(outputHeight: 1, outputWidth: 5, channels: 1, crop: nil, flipProbability: 0,
                                        jitter: nil, grayscaleProbability: 0, mean: [0.25], std: [0.5])
        let bytes: [UInt8] = [0, 127, 128, 129, 255], threshold = Float(128) / 255
        let solarised: [Float] = [0, 127 / 255, 1 - threshold, 1 - Float(129) / 255, 0]
        let expected = solarised.map { Double(($0 - 0.25) / 0.5) }
        let whole = ViewParameters(crop: .init(top: 0, left: 0, height: 1, width: 5), solarize: threshold)
        var contrast = whole, blurred = whole
        contrast.jitter = [.init(.contrast, 1)]
        blurred.blur = .init(kernelSize: 1, sigma: 1)
        for (path, view) in [("pass 1", whole), ("pass 2", contrast), ("blur", blurred)] {
            let actual = try augment(batch: bytes, shape: [1, 1, 1, 5], views: [(0, view)], config: config, on: device)
            let values = try actual.toArray()
            #expect(zip(values, expected).allSatisfy { abs(Double($0) - $1) <= 1e-6 }, "\(path): \(values) ≠ \(expected)")
        }
    }

    @Test("hue: rgb → hsv → rgb returns the pixel (float64), and a zero shift leaves the image", arguments: AugmentTarget.all)
    func hueRoundTrip(target: AugmentTarget) throws {
        let batch = randomImages(1, channels: 3, height: 16, width: 16, seed: 12)
        let image = Reference.Image(channels: 3, height: 16, width: 16, bytes: batch[...])
        for i in 0..<256 {
            let pixel = image.pixel(i)
            let back = Reference.hsvToRGB(Reference.rgbToHSV(pixel))
            #expect(zip(back, pixel).allSatisfy { abs($0 - $1) < 1e-12 }, "pixel \(i): \(pixel) → \(back)")
        }
        guard let device = try target.open() else { return }
        let config = AugmentationConfig(outputHeight: 16, outputWidth: 16, channels: 3, crop: nil, flipProbability: 0,
                                        jitter: nil, grayscaleProbability: 0)
        let view = ViewParameters(crop: .init(top: 0, left: 0, height: 16, width: 16), jitter: [.init(.hue, 0)])
        let actual = try augment(batch: batch, shape: [1, 3, 16, 16], views: [(0, view)], config: config, on: device)
        expectClose(try actual.toArray(), image.values, tolerance: 2e-6, "hue shift 0")
    }
}
