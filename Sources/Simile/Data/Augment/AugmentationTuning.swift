/// Changes to an augmentation preset, one per flag of `simile augment` and `simile train` (nil: the preset's). A
/// value of 0 (or `none`) switches an op off; lists are the flags' comma-separated text. `simile train` keeps them
/// in the run's configuration, so that `--resume` draws the same views.
public struct AugmentationTuning: Codable, Equatable, Sendable {
    /// Output side in pixels.
    public var size: Int?
    /// Random resized crop: "MIN,MAX" of the area scale, or "none".
    public var cropScale: String?
    /// Random resized crop: "MIN,MAX" of the aspect ratio.
    public var cropRatio: String?
    /// Horizontal flip probability.
    public var flip: Double?
    /// Colour jitter "P,BRIGHTNESS,CONTRAST,SATURATION,HUE", or "none".
    public var jitter: String?
    /// Grayscale probability.
    public var grayscale: Double?
    /// Gaussian blur "P,KERNEL,SIGMA_MIN,SIGMA_MAX", or "none".
    public var blur: String?
    /// Solarisation probability (BYOL's, at threshold 0.5).
    public var solarize: Double?
    /// PIRL's jigsaw "GRID,PIECE", or "none".
    public var jigsaw: String?

    public init(size: Int? = nil, cropScale: String? = nil, cropRatio: String? = nil, flip: Double? = nil,
                jitter: String? = nil, grayscale: Double? = nil, blur: String? = nil, solarize: Double? = nil,
                jigsaw: String? = nil) {
        (self.size, self.cropScale, self.cropRatio, self.flip) = (size, cropScale, cropRatio, flip)
        (self.jitter, self.grayscale, self.blur, self.solarize) = (jitter, grayscale, blur, solarize)
        self.jigsaw = jigsaw
    }

    /// Whether it changes nothing.
    public var isEmpty: Bool { self == AugmentationTuning() }

    /// Checks the flags' own values (numbers, ranges) before any dataset is opened, on a stand-in preset with no
    /// op of its own and a side no image reaches, so that only what no images allow is refused here; `apply`
    /// checks the rest against the real preset, and its errors name the real size (a blur kernel too wide for the
    /// 8×8 digits says 8×8).
    public func validate() throws {
        let side = Int(Int32.max)
        _ = try apply(to: AugmentationConfig(outputHeight: side, outputWidth: side, channels: 3, crop: nil,
                                             flipProbability: 0, jitter: nil, grayscaleProbability: 0))
    }

    /// `preset` with every change applied, validated.
    public func apply(to preset: AugmentationConfig) throws -> AugmentationConfig {
        // The flags that are one number each are named in their own errors; the config's checks name the op.
        if let size, size < 1 { throw SimileError.invalidArgument("--size must be ≥ 1 pixel, got \(size)") }
        for (option, value) in [("--flip", flip), ("--grayscale", grayscale), ("--solarize", solarize)] {
            if let value, !(0...1).contains(value) {
                throw SimileError.invalidArgument("\(option) must be a probability in [0, 1], got \(value)")
            }
        }
        var config = preset
        if let size { (config.outputHeight, config.outputWidth) = (size, size) }
        if let cropScale {
            if cropScale == "none" {
                config.crop = nil
            } else {
                let (low, high) = try pair("--crop-scale", cropScale)
                config.crop = AugmentationConfig.Crop(scale: Interval(low, high),
                                                     ratio: config.crop?.ratio ?? AugmentationConfig.Crop().ratio)
            }
        }
        if let cropRatio {
            let (low, high) = try pair("--crop-ratio", cropRatio)
            config.crop = AugmentationConfig.Crop(scale: config.crop?.scale ?? AugmentationConfig.Crop().scale,
                                                 ratio: Interval(low, high))
        }
        if let flip { config.flipProbability = flip }
        if let jitter {
            let values = jitter == "none" ? nil : try numbers("--jitter", jitter, count: 5)
            config.jitter = values.map {
                AugmentationConfig.Jitter(probability: $0[0], brightness: $0[1], contrast: $0[2], saturation: $0[3],
                                          hue: $0[4])
            }
        }
        if let grayscale { config.grayscaleProbability = grayscale }
        if let blur {
            let values = blur == "none" ? nil : try numbers("--blur", blur, count: 4)
            config.blur = try values.map {
                guard let kernel = Int(exactly: $0[1]) else {
                    throw SimileError.invalidArgument("--blur: the kernel size must be a whole number, got \($0[1])")
                }
                return AugmentationConfig.Blur(probability: $0[0], kernelSize: kernel, sigma: Interval($0[2], $0[3]))
            }
        }
        if let solarize { config.solarizeProbability = solarize }
        if let jigsaw {
            config.jigsaw = try jigsaw == "none" ? nil : {
                let values = try numbers("--jigsaw", jigsaw, count: 2)
                guard let grid = Int(exactly: values[0]), let piece = Int(exactly: values[1]), grid >= 1, piece >= 1 else {
                    throw SimileError.invalidArgument("--jigsaw takes a grid and a piece size, whole numbers ≥ 1, got '\(jigsaw)'")
                }
                return AugmentationConfig.Jigsaw(grid: grid, piece: piece)
            }()
        }
        try config.validate()
        return config
    }

    private func pair(_ option: String, _ text: String) throws -> (Double, Double) {
        let values = try numbers(option, text, count: 2)
        return (values[0], values[1])
    }

    private func numbers(_ option: String, _ text: String, count: Int) throws -> [Double] {
        let values = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0) }
        guard values.count == count, values.allSatisfy({ $0 != nil }) else {
            throw SimileError.invalidArgument("\(option) takes \(count) comma-separated numbers, got '\(text)'")
        }
        return values.map { $0! }
    }
}
