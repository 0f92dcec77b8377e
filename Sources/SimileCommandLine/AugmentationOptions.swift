import ArgumentParser
import Simile

/// The flags that switch and tune each augmentation over a preset, for every command that augments. A value
/// of 0 (or `none`) switches an op off; lists are comma-separated.
public struct AugmentationOptions: ParsableArguments {
    @Option(help: "Output side in pixels (default: the images' shorter side).")
    public var size: Int?

    @Option(help: "Random resized crop: scale range MIN,MAX (e.g. 0.08,1), or none.")
    public var cropScale: String?

    @Option(help: "Random resized crop: aspect-ratio range MIN,MAX (e.g. 0.75,1.3333).")
    public var cropRatio: String?

    @Option(help: "Horizontal flip probability.")
    public var flip: Double?

    @Option(help: "Colour jitter P,BRIGHTNESS,CONTRAST,SATURATION,HUE (e.g. 0.8,0.4,0.4,0.4,0.1), or none.")
    public var jitter: String?

    @Option(help: "Grayscale probability.")
    public var grayscale: Double?

    @Option(help: "Gaussian blur P,KERNEL,SIGMA_MIN,SIGMA_MAX (e.g. 0.5,9,0.1,2), or none.")
    public var blur: String?

    public init() {}

    /// `config` with every flag given applied, validated.
    public func apply(to preset: AugmentationConfig) throws -> AugmentationConfig {
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
