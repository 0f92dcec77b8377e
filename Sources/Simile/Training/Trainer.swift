import Foundation

/// What one epoch of training did, for the log line, metrics.csv and the plot.
public struct EpochReport: Sendable {
    public let epoch: Int
    /// Optimiser steps so far.
    public let step: Int
    /// The mean loss over the epoch's steps.
    public let loss: Float
    /// The learning rate of the epoch's last step.
    public let learningRate: Float
    public let imagesPerSecond: Double
    /// Wall time of the whole run so far, over every session of it (a resumed run goes on from the checkpoint's).
    public let seconds: Double
}

/// The running sums of the epoch in progress and the run's time, kept in checkpoints so that a run stopped inside an
/// epoch and resumed reports that epoch's mean loss, rate and the run's time as the uninterrupted run does.
public struct RunProgress: Codable, Equatable, Sendable {
    /// The sum of the losses of the epoch's steps so far, how many they were, the images they took, and their wall
    /// time. (A checkpoint written before these were kept has none: its resumed epoch counts only its own steps.)
    public var epochLossSum = 0.0
    public var epochSteps = 0
    public var epochImages = 0
    public var epochSeconds = 0.0
    /// Wall time of the whole run so far (training, evaluation and checkpoints), over every session of it.
    public var seconds = 0.0

    public init() {}
}

/// A training step whose loss, or whose embeddings, are not finite: the run diverged (usually a learning rate
/// too high for the batch). Nothing of that step was applied.
public struct TrainingDiverged: Error, CustomStringConvertible {
    /// The step (from 1) and its epoch (from 1) of `epochs`.
    public let step: Int
    public let epoch: Int
    public let epochs: Int
    /// What was not finite: "the loss is nan", or the loss's own error naming the element.
    public let detail: String

    public var description: String { "training diverged at step \(step) (epoch \(epoch) of \(epochs)): \(detail)" }
}

/// Where an epoch stands after one of its steps, for a live progress bar.
public struct StepProgress: Sendable {
    /// The epoch (from 1) of `epochs`, and the step (from 1) of `stepsPerEpoch` within it.
    public let epoch: Int
    public let epochs: Int
    public let stepInEpoch: Int
    public let stepsPerEpoch: Int
    /// The mean loss of the epoch's steps so far.
    public let loss: Float
    /// The learning rate of the step.
    public let learningRate: Float
    public let imagesPerSecond: Double
    /// The epoch's remaining steps at its rate so far.
    public let secondsLeftInEpoch: Double
}

/// A self-supervised training run: the encoder, the method and its networks, the optimiser and schedule, and the
/// loader of the training split, all built from a `TrainingConfiguration`. Every random choice comes from the
/// configuration's seed (weights, the order of each epoch, each image's views), so a run is repeatable.
public final class Trainer {
    public let configuration: TrainingConfiguration
    public let device: Device
    public let encoder: ResNet
    public let method: any SelfSupervisedMethod
    public let optimizer: Optimizer
    public let trainSet: Dataset
    /// The held-out split the monitor evaluates on; nil when the dataset has none with labels.
    public let testSet: Dataset?
    /// The mean and std of the training images per channel, which normalise every view and every evaluation.
    public let statistics: (mean: [Float], std: [Float])
    /// The augmentation preset (the configuration's, or the dataset's default), and its settings for the training set
    /// with the configuration's changes (`TrainingConfiguration.augmentation`).
    public let preset: AugmentationPreset
    public let augmentation: AugmentationConfig
    /// The batches of views of the training split, made ahead on worker threads.
    public let loader: DataLoader
    let schedule: LearningRateSchedule
    /// Epochs completed, and optimiser steps taken.
    public internal(set) var epoch = 0
    public internal(set) var step = 0
    /// The epoch in progress's running sums and the run's time.
    public internal(set) var progress = RunProgress()

    /// The run `configuration` describes, on the training split of its dataset (the first `trainSubset` images),
    /// monitored on its test split where there is a labelled one.
    public convenience init(_ configuration: TrainingConfiguration, on device: Device) throws {
        try configuration.validate()
        let spec = try DatasetSpec(parsing: configuration.data)
        let full = try spec.open(split: .train)
        try self.init(configuration, trainSet: configuration.trainSubset.map { try full.prefix($0) } ?? full,
                      testSet: spec.splits.contains(.test) && full.classes != nil ? try spec.open(split: .test) : nil,
                      on: device)
    }

    /// The run `configuration` describes on images given by the caller (`configuration.data` then only chooses the
    /// augmentation preset): `simile-bench` trains on synthetic images this way.
    public init(_ configuration: TrainingConfiguration, trainSet: Dataset, testSet: Dataset?, on device: Device) throws {
        try configuration.validate()
        self.configuration = configuration
        self.device = device
        (self.trainSet, self.testSet) = (trainSet, testSet)
        let spec = try DatasetSpec(parsing: configuration.data)
        guard configuration.batchSize <= trainSet.count else {
            throw SimileError.invalidArgument(
                "--batch-size \(configuration.batchSize) is larger than the \(trainSet.count) training images")
        }
        statistics = try trainSet.channelStatistics()
        preset = configuration.preset ?? .default(for: spec)
        let presetAugmentation = try preset.config(for: trainSet, statistics: statistics)
        augmentation = try configuration.augmentation?.apply(to: presetAugmentation) ?? presetAugmentation
        encoder = try Self.encoder(configuration.model, channels: trainSet.channels, on: device, seed: configuration.seed)
        let head = try projectionHead(inputs: encoder.outputFeatures, widths: configuration.head, on: device,
                                      seed: configuration.seed &+ 1)
        method = try SimCLR(head: head, loss: configuration.method.loss, temperature: configuration.temperature,
                            sigma: configuration.sigma)
        let learningRate = configuration.lrScaling?.scale(configuration.learningRate, batchSize: configuration.batchSize)
            ?? configuration.learningRate
        optimizer = try Self.optimizer(configuration, parameters: Self.parameters(encoder, method),
                                       learningRate: learningRate)
        let sampler = try BatchSampler(count: trainSet.count, batchSize: configuration.batchSize, seed: configuration.seed)
        loader = try DataLoader(dataset: trainSet, sampler: sampler, augmentation: augmentation,
                                seed: configuration.seed &+ 2, device: device)
        let (runSteps, overflow) = configuration.epochs.multipliedReportingOverflow(by: sampler.batchesPerEpoch)
        guard !overflow, runSteps <= Self.maximumSteps else {
            throw SimileError.invalidArgument(
                "--epochs \(configuration.epochs) of \(sampler.batchesPerEpoch) steps each is more than the "
                + "\(Self.maximumSteps) steps (2^53) a run can count: its schedule computes in float64, exact to 2^53")
        }
        let steps = max(1, runSteps)
        schedule = .warmupCosine(peak: learningRate, warmupSteps: configuration.warmupEpochs * sampler.batchesPerEpoch,
                                 totalSteps: steps)
    }

    /// The encoder's features judged on the held-out split, with the training images' features as the reference:
    /// the kNN monitor (k = 200, weights exp(s/0.1)) and, when asked, a linear probe (logistic regression on the
    /// frozen, standardised features, trained to convergence). nil when the dataset has no labelled test split.
    public func evaluate(linearProbe probe: Bool = false) throws -> (knn: ClassificationAccuracy, linear: LinearProbeResult?)? {
        guard let test = testSet, let classes = trainSet.classes else { return nil }
        let size = augmentation.outputHeight
        let trainFeatures = try extractFeatures(encoder, of: trainSet, size: size, statistics: statistics)
        let testFeatures = try extractFeatures(encoder, of: test, size: size, statistics: statistics)
        let (trainLabels, testLabels) = (try trainSet.allLabels(), try test.allLabels())
        let knn = try knnClassify(train: trainFeatures, trainLabels: trainLabels, test: testFeatures,
                                  testLabels: testLabels, classes: classes)
        let linear = probe ? try linearProbe(train: trainFeatures, trainLabels: trainLabels, test: testFeatures,
                                             testLabels: testLabels, classes: classes) : nil
        return (knn, linear)
    }

    /// The most optimiser steps a run may take.
    static let maximumSteps = 1 << 53

    /// Optimiser steps in the whole run.
    public var totalSteps: Int { configuration.epochs * loader.sampler.batchesPerEpoch }

    /// Trains the remaining epochs, calling `progress` after each step (for a live progress bar) and `report` after
    /// each epoch (to log, evaluate, write metrics and checkpoints). `shouldStop` is asked after every step: when it
    /// says yes the run returns false there, in the middle of an epoch if need be, and a checkpoint written then
    /// resumes at the next step. Returns true when every epoch ran.
    @discardableResult
    public func run(shouldStop: () -> Bool = { false }, progress onStep: (StepProgress) -> Void = { _ in },
                    report: (EpochReport) throws -> Void) throws -> Bool {
        let perEpoch = loader.sampler.batchesPerEpoch
        var mark = Date()
        /// Adds the wall time since the last call to the run's time, and to the epoch's when `inEpoch`.
        func tick(inEpoch: Bool) {
            let now = Date()
            progress.seconds += now.timeIntervalSince(mark)
            if inEpoch { progress.epochSeconds += now.timeIntervalSince(mark) }
            mark = now
        }
        while epoch < configuration.epochs {
            tick(inEpoch: false)
            let batches = loader.epoch(epoch, from: step - epoch * perEpoch)
            while let batch = try batches.next() {
                let value = try trainStep(batch.views)
                tick(inEpoch: true)
                progress.epochLossSum += Double(value)
                progress.epochSteps += 1
                progress.epochImages += batch.indices.count
                let done = step - epoch * perEpoch
                onStep(StepProgress(epoch: epoch + 1, epochs: configuration.epochs, stepInEpoch: done,
                                    stepsPerEpoch: perEpoch, loss: Float(progress.epochLossSum / Double(progress.epochSteps)),
                                    learningRate: schedule.learningRate(at: step - 1),
                                    imagesPerSecond: Double(progress.epochImages) / progress.epochSeconds,
                                    secondsLeftInEpoch: progress.epochSeconds / Double(progress.epochSteps)
                                        * Double(perEpoch - done)))
                if shouldStop(), step < (epoch + 1) * perEpoch { return false }
            }
            let finished = progress
            epoch += 1
            (progress.epochLossSum, progress.epochSteps, progress.epochImages, progress.epochSeconds) = (0, 0, 0, 0)
            try report(EpochReport(epoch: epoch, step: step,
                                   loss: Float(finished.epochLossSum / Double(max(finished.epochSteps, 1))),
                                   learningRate: schedule.learningRate(at: step - 1),
                                   imagesPerSecond: Double(finished.epochImages) / finished.epochSeconds,
                                   seconds: finished.seconds))
            if shouldStop() { return epoch == configuration.epochs }
        }
        return true
    }

    /// Where the run stands, in the one numbering every message uses: "after step 12 of 120, with 4 of 40 epochs
    /// completed".
    public var position: String { position(epoch: epoch, step: step) }

    /// `position` for a run at `epoch` epochs completed and `step` steps taken (a checkpoint's).
    public func position(epoch: Int, step: Int) -> String {
        "after step \(step) of \(totalSteps), with \(epoch) of \(configuration.epochs) epochs completed"
    }

    /// One optimiser step on a batch of views (`loader`'s layout): the method's forward, loss and backward, one read
    /// of the loss, then the optimiser's step at the schedule's learning rate and the method's update. A loss, or
    /// embeddings, that are not finite throw `TrainingDiverged` naming the step, before anything of it is applied. Returns
    /// the loss; `phases` is told as each phase is enqueued.
    public func trainStep(_ views: Tensor, phases: StepPhaseObserver = .none) throws -> Float {
        func diverged(_ detail: String) -> TrainingDiverged {
            TrainingDiverged(step: step + 1, epoch: step / loader.sampler.batchesPerEpoch + 1,
                             epochs: configuration.epochs, detail: detail)
        }
        try optimizer.setLearningRate(schedule.learningRate(at: step))
        let value: Float
        do {
            value = try method.forwardBackward(views: views, encoder: encoder, phases: phases).value()
        } catch let error as SimileError where FiniteCheck.isNonFiniteInput(error) {
            throw diverged(error.description)
        }
        guard value.isFinite else { throw diverged("the loss is \(value)") }
        try optimizer.step()
        try method.afterStep(step, of: totalSteps)
        zeroGradients()
        try phases.end(.optimizer)
        step += 1
        return value
    }

    private func zeroGradients() {
        encoder.zeroGradients()
        method.trainable.forEach { $0.layer.zeroGradients() }
    }

    /// Every trainable parameter, named as in checkpoints ("encoder.conv1.weight", "head.0.weight").
    static func parameters(_ encoder: ResNet, _ method: any SelfSupervisedMethod) -> [(name: String, parameter: Parameter)] {
        ([("encoder", encoder as any Layer)] + method.trainable.map { ($0.prefix, $0.layer) }).flatMap { prefix, layer in
            layer.namedParameters().map { (prefix + "." + $0.name, $0.parameter) }
        }
    }

    static func encoder(_ model: TrainingConfiguration.Model, channels: Int, on device: Device,
                        seed: UInt64) throws -> ResNet {
        switch model {
        case .resnet18:
            return try ResNet(stem: .cifar, widths: [64, 128, 256, 512], blocks: [2, 2, 2, 2], inputChannels: channels,
                              on: device, seed: seed)
        case .resnet18ImageNet:
            return try ResNet(stem: .imagenet, widths: [64, 128, 256, 512], blocks: [2, 2, 2, 2],
                              inputChannels: channels, on: device, seed: seed)
        case .resnetSmall:
            return try ResNet.small(inputChannels: channels, on: device, seed: seed)
        }
    }

    /// The optimiser: SGD and AdamW over every parameter; LARS with biases and batch norm excluded from the
    /// adaptation and the weight decay, as SimCLR does.
    static func optimizer(_ configuration: TrainingConfiguration, parameters: [(name: String, parameter: Parameter)],
                          learningRate: Float) throws -> Optimizer {
        switch configuration.optimizer {
        case .sgd:
            return try Optimizer(.sgd(momentum: configuration.momentum), parameters, learningRate: learningRate,
                                 weightDecay: configuration.weightDecay)
        case .lars:
            return try Optimizer(.lars(momentum: configuration.momentum), parameters, learningRate: learningRate,
                                 weightDecay: configuration.weightDecay,
                                 groups: [.larsExcluded(learningRate: learningRate)])
        case .adamw:
            return try Optimizer(.adamw(), parameters, learningRate: learningRate, weightDecay: configuration.weightDecay)
        }
    }
}

extension TrainingConfiguration.Method {
    /// The contrastive loss of the method.
    var loss: ContrastiveMethod {
        switch self {
        case .simclr: return .ntxent
        case .dcl: return .dcl
        case .dclw: return .dclw
        }
    }
}
