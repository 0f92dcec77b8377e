import ArgumentParser
import Simile

/// The flags that switch and tune each augmentation over a preset, for every command that augments
/// (`AugmentationTuning` says what each does).
public struct AugmentationOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Output side in pixels (default: the images' shorter side).")
    public var size: Int?

    @Option(help: "Random resized crop: scale range MIN,MAX (e.g. 0.08,1), or none (default: the preset's).")
    public var cropScale: String?

    @Option(help: "Random resized crop: aspect-ratio range MIN,MAX (e.g. 0.75,1.3333) (default: the preset's).")
    public var cropRatio: String?

    @Option(parsing: .unconditional, help: "Horizontal flip probability (default: the preset's).")
    public var flip: Double?

    @Option(help: "Colour jitter P,BRIGHTNESS,CONTRAST,SATURATION,HUE (e.g. 0.8,0.4,0.4,0.4,0.1), or none (default: the preset's).")
    public var jitter: String?

    @Option(parsing: .unconditional, help: "Grayscale probability (default: the preset's).")
    public var grayscale: Double?

    @Option(help: "Gaussian blur P,KERNEL,SIGMA_MIN,SIGMA_MAX (e.g. 0.5,9,0.1,2), or none (default: the preset's).")
    public var blur: String?

    @Option(parsing: .unconditional, help: "Solarisation probability, at threshold 0.5 (BYOL's) (default: the preset's).")
    public var solarize: Double?

    @Option(parsing: .unconditional, help: "PIRL's jigsaw GRID,PIECE (e.g. 3,7: a 3×3 grid of 7-pixel pieces, shuffled), or none (default: the preset's; pirl's second view: 3 and ¾ of a cell).")
    public var jigsaw: String?

    public init() {}

    /// The flags given, as the library's tuning.
    public var tuning: AugmentationTuning {
        AugmentationTuning(size: size, cropScale: cropScale, cropRatio: cropRatio, flip: flip, jitter: jitter,
                           grayscale: grayscale, blur: blur, solarize: solarize, jigsaw: jigsaw)
    }
}
