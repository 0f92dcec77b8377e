import ArgumentParser
import Simile
import SimileCommandLine

/// `simile embed`: a trained encoder's features (before the projection head) of every image of a split.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Write the encoder features of a dataset split (float32 .npy, one row per image in dataset order).")

    @Option(help: "A run's checkpoint.safetensors.") var checkpoint: String
    @Option(help: "The dataset (see `simile augment --help`).") var data: String
    @Option(help: "train, test or unlabeled.") var split = "test"
    @Option(help: "Write the features here (.npy, float32, N × d).") var out: String
    @Option(help: "Write the labels here (.npy, int64) (default: not written).") var labelsOut: String?
    @OptionGroup var device: DeviceOption

    func validate() throws {
        try asValidationError {
            _ = try DatasetSpec(parsing: data)
            _ = try DatasetSplit(parsing: split)
        }
        try validateOutputPaths([(out, "--out"), (labelsOut, "--labels-out")])
    }

    func run() throws {
        let run = try restoredRun(checkpoint, on: device.open())
        let dataset = try DatasetSpec(parsing: data).open(split: DatasetSplit(parsing: split))
        let features = try features(of: dataset, from: run)
        try NPY.write(features, to: out)
        if let labelsOut { try NPY.write(int64: dataset.allLabels().map(Int64.init), shape: [dataset.count], to: labelsOut) }
        print("\(features.shape[0]) × \(features.shape[1]) features of \(dataset.name) → \(out)")
    }
}
