import ArgumentParser
import Simile
import SimileCommandLine

/// `simile eval knn|linear`: a trained encoder judged on a dataset's test split, with its whole train split as the
/// reference (the training monitor uses the run's `--train-subset`): the kNN classifier of the trainer's monitor,
/// or a linear probe on the frozen features.
struct EvalCommand: ParsableCommand {
    enum Evaluation: String, ExpressibleByArgument, CaseIterable {
        case knn, linear
    }

    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Top-1 and top-5 accuracy of a trained encoder's features: kNN or a linear probe.")

    @Argument(help: "knn or linear.") var evaluation: Evaluation
    @Option(help: "A run's checkpoint.safetensors.") var checkpoint: String
    @Option(help: "The dataset (default: the one the run trained on).") var data: String?
    @Option(parsing: .unconditional, help: "kNN: the neighbours that vote, ≥ 1.") var k = 200
    @Option(parsing: .unconditional, help: "kNN: the temperature T of the votes' weights exp(s/T), > 0.")
    var knnTemperature = 0.1
    @OptionGroup var device: DeviceOption

    func validate() throws {
        try asValidationError {
            _ = try data.map(DatasetSpec.init(parsing:))
            try validateKNNSettings(k: k, temperature: knnTemperature, names: ("--k", "--knn-temperature"))
        }
    }

    func run() throws {
        let run = try restoredRun(checkpoint, on: device.open())
        let spec = try DatasetSpec(parsing: data ?? run.configuration.data)
        let (train, test) = (try spec.open(split: .train), try spec.open(split: .test))
        guard let classes = train.classes else { throw SimileError.invalidArgument("\(train.name) has no labels") }
        let (trainFeatures, testFeatures) = (try features(of: train, from: run), try features(of: test, from: run))
        let (trainLabels, testLabels) = (try train.allLabels(), try test.allLabels())
        let accuracy: ClassificationAccuracy
        switch evaluation {
        case .knn:
            accuracy = try knnClassify(train: trainFeatures, trainLabels: trainLabels, test: testFeatures,
                                       testLabels: testLabels, classes: classes, k: k, temperature: knnTemperature)
        case .linear:
            accuracy = try linearProbe(train: trainFeatures, trainLabels: trainLabels, test: testFeatures,
                                       testLabels: testLabels, classes: classes).accuracy
        }
        print(String(format: "%@ on %@: top-1 %.4f  top-5 %.4f", evaluation.rawValue, test.name, accuracy.top1,
                     accuracy.top5))
    }
}
