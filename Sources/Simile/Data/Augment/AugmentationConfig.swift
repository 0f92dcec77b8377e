/// A closed interval [lower, upper] of a random parameter. A plain pair rather than `ClosedRange`, so that
/// lower > upper is a configuration error reported by `AugmentationConfig.validate()` instead of a trap.
public struct Interval: Equatable, Sendable {
    public var lower: Double
    public var upper: Double

    public init(_ lower: Double, _ upper: Double) {
        self.lower = lower
        self.upper = upper
    }
}

/// SimCLR's augmentations, each switchable and tunable (issue 11), and BYOL's solarisation. The ops run in
/// SimCLR's order, with solarisation where BYOL (and torchvision's or lightly's BYOL transform) puts it: random
/// resized crop, horizontal flip, colour jitter, grayscale, Gaussian blur, solarisation, normalisation. Every
/// definition is torchvision's, on float images in [0, 1] (uint8 / 255); see `ViewParameters` for how each
/// view's random parameters are drawn and `augment` for how they are applied.
public struct AugmentationConfig: Equatable, Sendable {
    /// RandomResizedCrop's ranges: the crop's area as a fraction of the image's, and its aspect ratio w/h.
    public struct Crop: Equatable, Sendable {
        public var scale: Interval
        public var ratio: Interval

        public init(scale: Interval = Interval(0.08, 1), ratio: Interval = Interval(3.0 / 4, 4.0 / 3)) {
            self.scale = scale
            self.ratio = ratio
        }
    }

    /// ColorJitter, applied with `probability`. A strength s gives the factor range [max(0, 1 − s), 1 + s]
    /// (hue: [−s, s], s ≤ 0.5); 0 leaves that op out.
    public struct Jitter: Equatable, Sendable {
        public var probability: Double
        public var brightness: Double
        public var contrast: Double
        public var saturation: Double
        public var hue: Double

        public init(probability: Double = 0.8, brightness: Double = 0.4, contrast: Double = 0.4,
                    saturation: Double = 0.4, hue: Double = 0.1) {
            self.probability = probability
            self.brightness = brightness
            self.contrast = contrast
            self.saturation = saturation
            self.hue = hue
        }
    }

    /// GaussianBlur, applied with `probability`: an odd `kernelSize`, σ uniform in `sigma`.
    public struct Blur: Equatable, Sendable {
        public var probability: Double
        public var kernelSize: Int
        public var sigma: Interval

        public init(probability: Double = 0.5, kernelSize: Int, sigma: Interval = Interval(0.1, 2)) {
            self.probability = probability
            self.kernelSize = kernelSize
            self.sigma = sigma
        }

        /// SimCLR's kernel for an output side: ⌊10% of it⌋, plus one when even (9 at 96, 23 at 224).
        public static func kernelSize(forSide side: Int) -> Int {
            let tenth = max(1, side / 10)
            return tenth % 2 == 1 ? tenth : tenth + 1
        }
    }

    /// PIRL's jigsaw (Misra & van der Maaten 2020), the last op, after the normalisation: the view is cut into a
    /// `grid` × `grid` grid of cells (⌊H/grid⌋ × ⌊W/grid⌋ each, the leftover rows and columns at the bottom and right
    /// unused), a `piece` × `piece` window is taken at a random place inside each cell (PIRL's 64 of 85 pixels: the gap
    /// hides the edges that would give the order away), and the windows are laid out again in a random order, piece t
    /// at row ⌊t/grid⌋ and column t mod grid of a grid of `piece`-pixel squares packed into the top-left corner. The rest
    /// of the view is 0 (the mean colour, once normalised). `cutPatches` cuts the pieces out for an encoder.
    public struct Jigsaw: Equatable, Sendable {
        public var grid: Int
        public var piece: Int

        public init(grid: Int = 3, piece: Int) {
            self.grid = grid
            self.piece = piece
        }

        /// PIRL's 3 × 3 grid with pieces ¾ of a cell (64 of 85 in the paper), for a view of `side` pixels: 7 of 9 at
        /// 28, 8 of 10 at 32, 24 of 32 at 96.
        public static func pirl(side: Int) -> Jigsaw {
            Jigsaw(grid: 3, piece: max(1, Int((0.75 * Double(side / 3)).rounded(.toNearestOrEven))))
        }

        /// The cell size of a `height` × `width` view.
        public func cell(height: Int, width: Int) -> (height: Int, width: Int) { (height / grid, width / grid) }
    }

    public var outputHeight: Int
    public var outputWidth: Int
    /// Channels of the source images: 1 (grayscale) or 3 (RGB).
    public var channels: Int
    /// nil: no crop; the whole image is resized to the output size.
    public var crop: Crop?
    /// 0 switches the flip off.
    public var flipProbability: Double
    public var jitter: Jitter?
    /// 0 switches it off; a no-op on 1-channel images.
    public var grayscaleProbability: Double
    public var blur: Blur?
    /// lightly's RandomSolarization (BYOL's): x ↦ 1 − x where x ≥ `solarizeThreshold`, applied with this
    /// probability; 0 switches it off.
    public var solarizeProbability: Double
    /// Per-channel (x − mean) / std as the last step; empty arrays leave the [0, 1] values as they are.
    public var mean: [Float]
    public var std: [Float]
    /// nil: no jigsaw (every view but PIRL's second).
    public var jigsaw: Jigsaw?

    public init(outputHeight: Int, outputWidth: Int, channels: Int, crop: Crop? = Crop(), flipProbability: Double = 0.5,
                jitter: Jitter? = Jitter(), grayscaleProbability: Double = 0.2, blur: Blur? = nil,
                solarizeProbability: Double = 0, mean: [Float] = [], std: [Float] = [], jigsaw: Jigsaw? = nil) {
        self.outputHeight = outputHeight
        self.outputWidth = outputWidth
        self.channels = channels
        self.crop = crop
        self.flipProbability = flipProbability
        self.jitter = jitter
        self.grayscaleProbability = grayscaleProbability
        self.blur = blur
        self.solarizeProbability = solarizeProbability
        self.mean = mean
        self.std = std
        self.jigsaw = jigsaw
    }

    /// SimCLR's augmentations (Chen et al. 2020, appendix A) at `size` × `size`: crop scale 0.08–1, flip 0.5,
    /// jitter 0.4/0.4/0.4/0.1 with p 0.8, grayscale 0.2, and the blur (p 0.5, kernel ≈ 10% of the side) only from
    /// 96 × 96 up, as SimCLR leaves it out for CIFAR's 32 × 32. 1-channel data gets no saturation, hue or grayscale:
    /// they have no meaning without colour.
    public static func simclr(size: Int, channels: Int, mean: [Float], std: [Float]) -> AugmentationConfig {
        let colour = channels != 1
        return AugmentationConfig(
            outputHeight: size, outputWidth: size, channels: channels,
            jitter: Jitter(saturation: colour ? 0.4 : 0, hue: colour ? 0.1 : 0),
            grayscaleProbability: colour ? 0.2 : 0,
            blur: size >= 96 ? Blur(kernelSize: Blur.kernelSize(forSide: size)) : nil, mean: mean, std: std)
    }

    /// Handwritten digits (1 channel): SimCLR's ops without the flip (a mirrored 2 or 7 is not a digit) and with crops
    /// of at least half the image (smaller ones of an 8 × 8 digit keep a stroke or two, no longer its identity).
    public static func digits(size: Int, mean: [Float], std: [Float]) -> AugmentationConfig {
        var config = simclr(size: size, channels: 1, mean: mean, std: std)
        config.flipProbability = 0
        config.crop = Crop(scale: Interval(0.5, 1))
        return config
    }

    /// BYOL's solarisation threshold on [0, 1] values (lightly's RandomSolarization; torchvision's 128 on uint8).
    public static let solarizeThreshold: Float = 0.5

    /// This chain with another blur or solarisation probability (nil: unchanged), for a method whose views take
    /// different chains (BYOL: blur 1 and 0.1, solarisation 0 and 0.2). The blur probability changes only when the
    /// chain has a blur: one too small for the output (SimCLR's 32 × 32) stays off.
    public func with(blurProbability: Double? = nil, solarizeProbability: Double? = nil) -> AugmentationConfig {
        var config = self
        if let blurProbability { config.blur?.probability = blurProbability }
        if let solarizeProbability { config.solarizeProbability = solarizeProbability }
        return config
    }

    /// Checks every setting; a bad one is one `SimileError.invalidArgument` naming it and the value.
    public func validate() throws {
        func fail(_ message: String) -> SimileError { .invalidArgument("augmentation: \(message)") }
        func probability(_ name: String, _ p: Double) throws {
            guard p >= 0, p <= 1 else { throw fail("\(name) must be a probability in [0, 1], got \(p)") }
        }
        func ordered(_ name: String, _ range: Interval) throws {
            guard range.lower.isFinite, range.upper.isFinite, range.lower <= range.upper else {
                throw fail("\(name) must be finite with min ≤ max, got [\(range.lower), \(range.upper)]")
            }
        }
        guard outputHeight > 0, outputWidth > 0 else {
            throw fail("output size must be positive, got \(outputHeight)×\(outputWidth)")
        }
        guard channels == 1 || channels == 3 else { throw fail("channels must be 1 or 3, got \(channels)") }
        if let crop {
            try ordered("crop scale", crop.scale)
            guard crop.scale.lower > 0, crop.scale.upper <= 1 else {
                throw fail("crop scale must lie in (0, 1], got [\(crop.scale.lower), \(crop.scale.upper)]")
            }
            try ordered("crop ratio", crop.ratio)
            guard crop.ratio.lower > 0 else { throw fail("crop ratio must be positive, got \(crop.ratio.lower)") }
        }
        try probability("flip probability", flipProbability)
        if let jitter {
            try probability("jitter probability", jitter.probability)
            for (name, strength) in [("brightness", jitter.brightness), ("contrast", jitter.contrast),
                                     ("saturation", jitter.saturation), ("hue", jitter.hue)] {
                guard strength >= 0, strength.isFinite else { throw fail("\(name) must be ≥ 0, got \(strength)") }
            }
            guard jitter.hue <= 0.5 else { throw fail("hue must be ≤ 0.5, got \(jitter.hue)") }
            if channels == 1, jitter.saturation > 0 || jitter.hue > 0 {
                throw fail("saturation and hue need 3 channels; set them to 0 for 1-channel images")
            }
        }
        try probability("grayscale probability", grayscaleProbability)
        if let blur {
            try probability("blur probability", blur.probability)
            guard blur.kernelSize > 0, blur.kernelSize % 2 == 1 else {
                throw fail("blur kernel size must be odd and positive, got \(blur.kernelSize)")
            }
            guard blur.kernelSize / 2 < min(outputHeight, outputWidth) else {
                throw fail("blur kernel size \(blur.kernelSize) needs reflect padding wider than the "
                           + "\(outputHeight)×\(outputWidth) output")
            }
            try ordered("blur sigma", blur.sigma)
            guard blur.sigma.lower > 0 else { throw fail("blur sigma must be positive, got \(blur.sigma.lower)") }
        }
        try probability("solarize probability", solarizeProbability)
        guard mean.count == std.count, mean.isEmpty || mean.count == channels else {
            throw fail("mean and std need one value per channel (\(channels)), got \(mean.count) and \(std.count)")
        }
        guard std.allSatisfy({ $0 > 0 && $0.isFinite }), mean.allSatisfy(\.isFinite) else {
            throw fail("std must be positive and mean finite, got mean \(mean), std \(std)")
        }
        if let jigsaw {
            let cell = jigsaw.grid >= 1 ? jigsaw.cell(height: outputHeight, width: outputWidth) : (height: 0, width: 0)
            guard jigsaw.grid >= 1, jigsaw.piece >= 1, jigsaw.piece <= min(cell.height, cell.width) else {
                throw fail("a jigsaw needs a grid ≥ 1 and pieces of 1 pixel up to its cells' side; a \(jigsaw.grid)×"
                           + "\(jigsaw.grid) grid of a \(outputHeight)×\(outputWidth) view has cells of "
                           + "\(cell.height)×\(cell.width), and the pieces are \(jigsaw.piece)")
            }
        }
    }
}

extension AugmentationConfig: CustomStringConvertible {
    /// One line for logs, op by op in their order: "28×28: crop scale 0.08–1 ratio 0.75–1.333, flip 0.5, jitter
    /// p 0.8 (brightness 0.4 contrast 0.4 saturation 0 hue 0), grayscale 0, no blur, solarize 0, normalised by mean
    /// [0.286] std [0.353]".
    public var description: String {
        func number(_ value: Double) -> String { String(format: "%g", value) }
        func range(_ interval: Interval) -> String { number(interval.lower) + "–" + number(interval.upper) }
        func list(_ values: [Float]) -> String { "[" + values.map { String(format: "%.3f", $0) }.joined(separator: ", ") + "]" }
        let parts: [String] = [
            crop.map { "crop scale \(range($0.scale)) ratio \(range($0.ratio))" } ?? "no crop",
            "flip \(number(flipProbability))",
            jitter.map {
                "jitter p \(number($0.probability)) (brightness \(number($0.brightness)) contrast \(number($0.contrast)) "
                    + "saturation \(number($0.saturation)) hue \(number($0.hue)))"
            } ?? "no jitter",
            "grayscale \(number(grayscaleProbability))",
            blur.map { "blur p \(number($0.probability)) kernel \($0.kernelSize) σ \(range($0.sigma))" } ?? "no blur",
            "solarize \(number(solarizeProbability))",
            mean.isEmpty ? "not normalised" : "normalised by mean \(list(mean)) std \(list(std))",
        ] + (jigsaw.map { ["jigsaw \($0.grid)×\($0.grid) of \($0.piece)-pixel pieces"] } ?? [])
        return "\(outputHeight)×\(outputWidth): " + parts.joined(separator: ", ")
    }
}
