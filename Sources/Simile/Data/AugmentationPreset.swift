/// The named augmentation settings a command offers (`--preset`), each sized to the dataset's images.
public enum AugmentationPreset: String, CaseIterable, Sendable {
    /// SimCLR's chain (`AugmentationConfig.simclr`).
    case simclr
    /// SimCLR's chain for handwritten digits: no flip, crops of at least half the image (`AugmentationConfig.digits`).
    case digits
    /// The images as stored, scaled to [0, 1]: no crop, flip, jitter, grayscale, blur or normalisation.
    case none

    /// The preset a dataset gets by default: `digits` for the digit sets (flipping a digit changes it), else `simclr`.
    public static func `default`(for spec: DatasetSpec) -> AugmentationPreset {
        switch spec {
        case .digits, .mnist: return .digits
        default: return .simclr
        }
    }

    /// Parses a `--preset` value; the error lists the names.
    public init(parsing text: String) throws {
        guard let preset = AugmentationPreset(rawValue: text) else {
            throw SimileError.invalidArgument("invalid preset '\(text)': expected "
                                              + Self.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self = preset
    }

    /// The settings for `dataset`'s images, normalised by `statistics` (mean and std per channel). The cropping
    /// presets make square views of the images' shorter side, as torchvision's RandomResizedCrop(size) does; `none`
    /// keeps the images' size. The digits preset is for 1-channel images.
    public func config(for dataset: Dataset, statistics: (mean: [Float], std: [Float])) throws -> AugmentationConfig {
        let side = Swift.min(dataset.height, dataset.width)
        switch self {
        case .simclr:
            return .simclr(size: side, channels: dataset.channels, mean: statistics.mean, std: statistics.std)
        case .digits:
            guard dataset.channels == 1 else {
                throw SimileError.invalidArgument("the digits preset is for 1-channel images; \(dataset.name) has "
                                                  + "\(dataset.channels) channels (use simclr)")
            }
            return .digits(size: side, mean: statistics.mean, std: statistics.std)
        case .none:
            return AugmentationConfig(outputHeight: dataset.height, outputWidth: dataset.width, channels: dataset.channels,
                                      crop: nil, flipProbability: 0, jitter: nil, grayscaleProbability: 0)
        }
    }
}
