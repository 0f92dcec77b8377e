import ArgumentParser
import Foundation
import Simile
import SimileCommandLine

/// `simile augment`: the views a model would be trained on, as arrays and as a picture, so that the augmentation
/// chain can be checked (against torchvision with params.json) and looked at (with --preview).
struct AugmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "augment",
        abstract: "Write two augmented views of the first N images of a dataset (float32 .npy, 2N × C × H × W).",
        discussion: """
            Rows 0..N-1 of the output are the first views of images 0..N-1, rows N..2N-1 their second views. With
            --preset none: the N images as stored, scaled to [0, 1], once. Views are normalised by the mean and
            standard deviation of the split (from up to 10,000 of its images), which params.json records.
            """)

    @Option(help: "The dataset: digits, fashion-mnist, fashion-mnist:DIR, mnist:DIR, cifar10:DIR, cifar100:DIR, stl10:DIR, folder:DIR or folder:DIR@SIZE (streamed, any sizes, resampled to SIZE×SIZE).")
    var data: String

    @Option(help: "train, test or unlabeled.")
    var split: String = "train"

    @Option(parsing: .unconditional, help: "How many images (the first N of the split).")
    var count: Int = 16

    @Option(help: "simclr, digits or none (default: digits for digits and mnist, else simclr).")
    var preset: String?

    @Option(parsing: .unconditional, help: "The seed every random choice is drawn from, 0 to 2^64−1.")
    var seed: String = "0"

    @OptionGroup var augmentation: AugmentationOptions

    @OptionGroup var device: DeviceOption

    @Option(help: "Write the views here (.npy, float32).")
    var out: String

    @Option(help: "Write the images' labels here (.npy, int64) (default: not written).")
    var labelsOut: String?

    @Option(help: "Write each view's parameters here (JSON) (default: not written).")
    var paramsOut: String?

    @Option(help: "Write a picture here (PNG): each row an original beside its views (default: not written).")
    var preview: String?

    func validate() throws {
        try asValidationError {
            _ = try DatasetSpec(parsing: data)
            _ = try DatasetSplit(parsing: split)
            _ = try preset.map(AugmentationPreset.init(parsing:))
            guard count >= 1 else { throw SimileError.invalidArgument("--count must be ≥ 1, got \(count)") }
            _ = try parseSeed(seed)
            try augmentation.tuning.validate()
        }
        try validateOutputPaths([(out, "--out"), (labelsOut, "--labels-out"), (paramsOut, "--params-out"),
                                 (preview, "--preview")])
    }

    func run() throws {
        let spec = try DatasetSpec(parsing: data)
        let dataset = try spec.open(split: DatasetSplit(parsing: split))
        guard count <= dataset.count else {
            throw SimileError.invalidArgument("--count \(count): \(dataset.name) has only \(dataset.count) images")
        }
        let chosen = try preset.map(AugmentationPreset.init(parsing:)) ?? .default(for: spec)
        let config = try augmentation.tuning.apply(to: chosen.config(for: dataset, statistics: dataset.channelStatistics()))
        let loader = try DataLoader(dataset: dataset, sampler: BatchSampler(count: dataset.count, batchSize: count,
                                                                            seed: parseSeed(seed)),
                                    augmentation: config, viewsPerImage: chosen == .none ? 1 : 2, seed: parseSeed(seed),
                                    device: device.open())
        let indices = Array(0..<count)
        let batch = try loader.batch(epoch: 0, indices: indices)
        try NPY.write(batch.views, to: out)
        if let labelsOut {
            guard let labels = batch.labels else {
                throw SimileError.invalidArgument("--labels-out: \(dataset.name) has no labels")
            }
            try NPY.write(int64: labels.map(Int64.init), shape: [labels.count], to: labelsOut)
        }
        if let paramsOut {
            try writeFileAtomically(Array(augmentationParametersJSON(config: config, views: batch.parameters).utf8),
                                    to: paramsOut)
        }
        if let preview {
            let grid = try PreviewGrid(originals: indices.map(dataset.image(at:)), sourceHeight: dataset.height,
                                       sourceWidth: dataset.width, views: batch.views, config: config)
            try writePNG(grid.pixels, width: grid.width, height: grid.height, channels: grid.channels, to: preview)
        }
        print("\(batch.views.shape[0]) views \(batch.views.shape.dropFirst().map(String.init).joined(separator: "×")) "
              + "of \(count) images of \(dataset.name), preset \(chosen.rawValue), seed \(seed) → \(out)")
    }
}
