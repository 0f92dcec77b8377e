import Foundation

/// Everything that defines a training run, as `simile train` takes it and as the run directory records it
/// (`config.json`, and the checkpoint's metadata), so that a run can be repeated from its directory alone.
public struct TrainingConfiguration: Codable, Equatable, Sendable {
    public enum Model: String, Codable, CaseIterable, Sendable {
        /// ResNet-18 with the CIFAR stem (3×3 conv, no max-pool): 32×32 images.
        case resnet18
        /// ResNet-18 with the ImageNet stem (7×7 stride-2 conv and max-pool): 96×96 and up.
        case resnet18ImageNet = "resnet18-imagenet"
        /// `ResNet.small`: CIFAR stem, three stages of one block, widths 32-64-128.
        case resnetSmall = "resnet-small"
    }

    public enum OptimizerName: String, Codable, CaseIterable, Sendable {
        case sgd, lars, adamw
    }

    public var data: String
    public var model: Model
    /// Projection-head widths, e.g. [512, 128]: hidden layers then the output.
    public var head: [Int]
    /// A method's name in `MethodRegistry` ("simclr", "moco", …).
    public var method: String
    public var temperature: Float
    /// DCLW's σ.
    public var sigma: Float
    public var optimizer: OptimizerName
    /// The base learning rate, scaled by `lrScaling` with the batch size (nil: used as given).
    public var learningRate: Float
    public var lrScaling: BatchScaling?
    public var momentum: Float
    public var weightDecay: Float
    public var warmupEpochs: Int
    public var epochs: Int
    public var batchSize: Int
    public var seed: UInt64
    /// Train on the first N training images only.
    public var trainSubset: Int?
    /// Evaluate (kNN on the test split) every this many epochs, and at the end.
    public var evalEvery: Int
    public var checkpointEvery: Int
    /// The augmentation preset (nil: the dataset's default).
    public var preset: AugmentationPreset?
    /// Changes to the preset's augmentations (nil: none; a configuration written before it existed has none).
    public var augmentation: AugmentationTuning? = nil
    /// A target network's EMA momentum at the first step and at the last (a half cosine between them; equal: a
    /// constant). nil for methods without a target network, as are the settings below for methods without them.
    public var emaMomentum: Float? = nil
    public var emaMomentumEnd: Float? = nil
    /// MoCo's queue of keys, NNCLR's support set, in rows.
    public var queueSize: Int? = nil
    /// The predictor's widths (BYOL, SimSiam, NNCLR): hidden layers then the output.
    public var predictor: [Int]? = nil
    /// SwAV's number of prototypes (cluster centres).
    public var prototypes: Int? = nil
    /// SimCLR's loss when it is the triplet loss (`--loss triplet`); nil: NT-Xent.
    public var triplet: TripletSettings? = nil
    /// InstDisc's and PIRL's loss when it is NCE with sampled negatives (`--loss nce`); nil: the full bank softmax.
    public var nce: NCESettings? = nil
    /// SwAV's small crops besides its two large ones (`--multi-crop`); nil: the two large crops alone.
    public var multiCrop: MultiCrop? = nil
    /// SwAV's queue of past embeddings (`--swav-queue`); nil: none.
    public var swavQueue: SwAVQueue? = nil
    /// Train a linear classifier on the detached encoder features alongside the method, and report its accuracy at
    /// each evaluation (nil: no).
    public var onlineProbe: Bool? = nil

    /// The defaults for a method on a dataset: the dataset's (model, head, epochs), then the method's own table
    /// (`MethodEntry.defaults`). A run of `method` on `data` with no other flag.
    public static func defaults(for data: String, method: String = "simclr") throws -> TrainingConfiguration {
        let spec = try DatasetSpec(parsing: data)
        let entry = try MethodRegistry.entry(named: method)
        var config = TrainingConfiguration(
            data: data, model: .resnet18, head: [512, 128], method: method, temperature: 0.5, sigma: 0.5,
            optimizer: .sgd, learningRate: 0.06, lrScaling: nil, momentum: 0.9, weightDecay: 5e-4, warmupEpochs: 0,
            epochs: 100, batchSize: 256, seed: 0, trainSubset: nil, evalEvery: 10, checkpointEvery: 10, preset: nil)
        switch spec {
        case .digits:
            (config.model, config.head, config.epochs, config.evalEvery) = (.resnetSmall, [128, 64], 60, 20)
        case .mnist, .fashionMNIST:
            (config.model, config.head, config.epochs) = (.resnetSmall, [128, 64], 30)
        case .stl10, .folder:
            config.model = .resnet18ImageNet
        case .cifar10, .cifar100:
            break
        }
        entry.defaults(&config, spec)
        return config
    }

    /// One clear error for each setting no run could use.
    public func validate() throws {
        func fail(_ message: String) -> SimileError { .invalidArgument(message) }
        _ = try DatasetSpec(parsing: data)
        try MethodRegistry.entry(named: method).validate(self)
        guard !head.isEmpty, head.allSatisfy({ $0 >= 1 }) else { throw fail("--head widths must be ≥ 1, got \(head)") }
        try validateTemperature(temperature, name: "--temperature")
        try validateTemperature(sigma, name: "--sigma")
        try requireNonNegative("--lr", learningRate)
        guard momentum >= 0, momentum < 1 else { throw fail("--momentum must be in [0, 1), got \(momentum)") }
        try requireNonNegative("--weight-decay", weightDecay)
        guard epochs >= 0 else { throw fail("--epochs must be ≥ 0, got \(epochs)") }
        guard warmupEpochs >= 0, warmupEpochs <= max(epochs, 0) else {
            throw fail("--warmup-epochs must be in 0...\(epochs) (the epochs), got \(warmupEpochs)")
        }
        guard batchSize >= 2 else { throw fail("--batch-size must be ≥ 2 (each image needs another as a negative), got \(batchSize)") }
        guard (trainSubset ?? 1) >= 1 else { throw fail("--train-subset must be ≥ 1, got \(trainSubset!)") }
        guard evalEvery >= 1, checkpointEvery >= 1 else {
            throw fail("--eval-every and --checkpoint-every must be ≥ 1, got \(evalEvery) and \(checkpointEvery)")
        }
        try augmentation?.validate()
    }

    /// The encoder and its networks, as logs and errors name them: "resnet-small + head 128,64", with
    /// " + predictor 64,256" for methods with one, and no head for methods without.
    public var architecture: String {
        func widths(_ list: [Int]) -> String { list.map(String.init).joined(separator: ",") }
        let readsHead = (try? MethodRegistry.entry(named: method))?.settings.contains(.head) ?? true
        return model.rawValue + (readsHead ? " + head \(widths(head))" : "")
            + (predictor.map { " + predictor \(widths($0))" } ?? "")
    }

    /// The configuration as indented JSON with sorted keys.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }
}

extension TrainingConfiguration {
    /// The configuration `json()` wrote (a run's config.json, or a checkpoint's "configuration" metadata).
    public init(json text: String) throws {
        do {
            self = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(text.utf8))
        } catch {
            throw SimileError.invalidArgument("not a training configuration: \(error.localizedDescription)")
        }
        try validate()
    }
}

extension BatchScaling: Codable {}
extension AugmentationPreset: Codable {}

/// The triplet loss's settings (`tripletLoss`): the margin between positive and negative squared distances, and
/// how each anchor's negative is mined from the batch.
public struct TripletSettings: Codable, Equatable, Sendable {
    public var margin: Float
    public var mining: TripletMining

    /// FaceNet's margin 0.2 and semi-hard negatives.
    public init(margin: Float = 0.2, mining: TripletMining = .semiHard) {
        (self.margin, self.mining) = (margin, mining)
    }
}

/// NCE against a memory bank (`bankNCELoss`): the noise rows drawn per step, shared by the batch.
public struct NCESettings: Codable, Equatable, Sendable {
    public var negatives: Int

    /// The most noise rows a step may draw: the paper's 4096 and PIRL's 32,000 fit, and a batch of 256 keeps its
    /// scores within 64 MiB.
    public static let largestNegatives = 65536

    /// The paper's K = 4096.
    public init(negatives: Int = 4096) {
        self.negatives = negatives
    }
}

/// SwAV's multi-crop (Caron et al. 2020): `count` small crops of `size` × `size` pixels per image beside the two
/// large ones.
public struct MultiCrop: Codable, Equatable, Sendable {
    public var count: Int
    public var size: Int

    /// The most small crops a run may ask for.
    public static let largestCount = 64

    public init(count: Int, size: Int) {
        (self.count, self.size) = (count, size)
    }
}

/// SwAV's queue (Caron et al. 2020): `length` past embeddings per large crop, filled from epoch `startEpoch` (0-based
/// as epochs are counted in steps; `--swav-queue LENGTH,EPOCH` takes it 0-based too) and used once full.
public struct SwAVQueue: Codable, Equatable, Sendable {
    public var length: Int
    public var startEpoch: Int

    public init(length: Int, startEpoch: Int) {
        (self.length, self.startEpoch) = (length, startEpoch)
    }
}
