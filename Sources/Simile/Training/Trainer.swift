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
    /// The collapse monitor's mean over the epoch's steps (`CollapseMonitor`).
    public let embeddingStd: Float
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
    /// The sum of the epoch's steps' collapse statistics (absent from checkpoints written before it was kept: 0).
    public var epochEmbeddingStdSum = 0.0
    /// Wall time of the whole run so far (training, evaluation and checkpoints), over every session of it.
    public var seconds = 0.0

    public init() {}

    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        epochLossSum = try values.decode(Double.self, forKey: .epochLossSum)
        epochSteps = try values.decode(Int.self, forKey: .epochSteps)
        epochImages = try values.decode(Int.self, forKey: .epochImages)
        epochSeconds = try values.decode(Double.self, forKey: .epochSeconds)
        epochEmbeddingStdSum = try values.decodeIfPresent(Double.self, forKey: .epochEmbeddingStdSum) ?? 0
        seconds = try values.decode(Double.self, forKey: .seconds)
    }
}

/// What one training step gave: its loss and the collapse monitor's statistic of its embeddings.
public struct TrainingStepResult: Sendable {
    public let loss: Float
    public let embeddingStd: Float
}

/// The held-out evaluation of a run's encoder: the kNN monitor, the linear probe when asked, and the online probe's
/// accuracy when the run trains one.
public struct Evaluation {
    public let knn: ClassificationAccuracy
    /// The kNN from the method's memory bank (InstDisc's paper's evaluation: each test image's embedding against the
    /// bank's rows, weighted at the method's τ), for methods with one.
    public let bankKNN: ClassificationAccuracy?
    public let linear: LinearProbeResult?
    public let onlineProbe: ClassificationAccuracy?
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
    /// The collapse monitor's mean over the epoch's steps so far, and its warning threshold.
    public let embeddingStd: Float
    public let collapseThreshold: Float
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
    public let encoder: any ImageEncoder
    public let method: any SelfSupervisedMethod
    public let optimizer: Optimizer
    public let trainSet: Dataset
    /// The held-out split the monitor evaluates on; nil when the dataset has none with labels.
    public let testSet: Dataset?
    /// The mean and std of the training images per channel, which normalise every view and every evaluation.
    public let statistics: (mean: [Float], std: [Float])
    /// The augmentation preset (the configuration's, or the dataset's default), and its settings for the training set
    /// with the configuration's changes (`TrainingConfiguration.augmentation`): the chain the method's views start
    /// from (`loader.augmentations` holds each view's, which a method such as BYOL may make differ).
    public let preset: AugmentationPreset
    public let augmentation: AugmentationConfig
    /// The batches of views of the training split, made ahead on worker threads.
    public let loader: DataLoader
    /// The linear classifier trained alongside the method (`--online-probe`); nil when not asked.
    public let onlineProbe: OnlineProbe?
    /// Watches the method's embeddings for collapse.
    public let collapseMonitor: CollapseMonitor
    /// The data-parallel run this trainer is one rank of, and what sums its gradients over the ranks; nil alone.
    public let parallel: DataParallel?
    let reducer: GradientReducer?
    let schedule: LearningRateSchedule
    /// Epochs completed, and optimiser steps taken.
    public internal(set) var epoch = 0
    public internal(set) var step = 0
    /// The epoch in progress's running sums and the run's time.
    public internal(set) var progress = RunProgress()

    /// The run `configuration` describes, on the training split of its dataset (the first `trainSubset` images),
    /// monitored on its test split where there is a labelled one.
    public convenience init(_ configuration: TrainingConfiguration, on device: Device,
                            parallel: DataParallel? = nil) throws {
        try configuration.validate()
        let spec = try DatasetSpec(parsing: configuration.data)
        let full = try spec.open(split: .train)
        try self.init(configuration, trainSet: configuration.trainSubset.map { try full.prefix($0) } ?? full,
                      testSet: spec.splits.contains(.test) && full.classes != nil ? try spec.open(split: .test) : nil,
                      on: device, parallel: parallel)
    }

    /// The run `configuration` describes on images given by the caller (`configuration.data` then only chooses the
    /// augmentation preset): `simile-bench` trains on synthetic images this way. With `parallel`, this process is one
    /// rank of a data-parallel run, training on its share of each global batch of `configuration.batchSize`.
    public init(_ configuration: TrainingConfiguration, trainSet: Dataset, testSet: Dataset?, on device: Device,
                parallel: DataParallel? = nil) throws {
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
        let entry = try MethodRegistry.entry(named: configuration.method)
        let ranks = parallel?.group.size ?? 1
        guard configuration.batchSize % ranks == 0 else {
            throw SimileError.invalidArgument("--batch-size \(configuration.batchSize) (the global batch) does not "
                                              + "split evenly over the \(ranks) processes of the run")
        }
        let sampler = try BatchSampler(count: trainSet.count, batchSize: configuration.batchSize / ranks,
                                       seed: configuration.seed, rank: parallel?.group.rank ?? 0, worldSize: ranks)
        let views = entry.views(augmentation, configuration)
        method = try entry.make(MethodContext(configuration: configuration, encoder: encoder, views: views,
                                              trainingImages: trainSet.count, stepsPerEpoch: sampler.batchesPerEpoch))
        collapseMonitor = CollapseMonitor(dimensions: configuration.head.last!)
        if configuration.onlineProbe == true {
            guard let classes = trainSet.classes else {
                throw SimileError.invalidArgument("--online-probe needs labels, and \(trainSet.name) has none")
            }
            onlineProbe = try OnlineProbe(features: encoder.outputFeatures, classes: classes, on: device,
                                          seed: configuration.seed &+ 4)
        } else {
            onlineProbe = nil
        }
        let learningRate = configuration.lrScaling?.scale(configuration.learningRate, batchSize: configuration.batchSize)
            ?? configuration.learningRate
        let parameters = Self.parameters(encoder, method, onlineProbe)
        optimizer = try Self.optimizer(configuration, parameters: parameters, learningRate: learningRate,
                                       fixed: method.fixedLearningRate)
        self.parallel = parallel
        reducer = parallel.map { parallel in
            let onHost = if case .cpu = device.backend { true } else { false }
            return GradientReducer(parameters, group: parallel.group, overlaps: onHost,
                                   bucketBytes: parallel.bucketBytes)
        }
        BatchNorm.synchronization = parallel.flatMap { $0.syncBatchNorm ? BatchNormSync(group: $0.group) : nil }
        loader = try DataLoader(dataset: trainSet, sampler: sampler, augmentations: views,
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
    /// the kNN monitor (k = 200, weights exp(s/0.1)), when asked a linear probe (logistic regression on the
    /// frozen, standardised features, trained to convergence), the online probe's accuracy when the run trains
    /// one, and for a method with a memory bank the kNN from the bank (k = 200, weights exp(s/τ)). nil when the
    /// dataset has no labelled test split.
    public func evaluate(linearProbe probe: Bool = false) throws -> Evaluation? {
        guard let test = testSet, let classes = trainSet.classes else { return nil }
        let size = augmentation.outputHeight
        let trainFeatures = try extractFeatures(encoder, of: trainSet, size: size, statistics: statistics)
        let testFeatures = try extractFeatures(encoder, of: test, size: size, statistics: statistics)
        let (trainLabels, testLabels) = (try trainSet.allLabels(), try test.allLabels())
        let knn = try knnClassify(train: trainFeatures, trainLabels: trainLabels, test: testFeatures,
                                  testLabels: testLabels, classes: classes)
        let linear = probe ? try linearProbe(train: trainFeatures, trainLabels: trainLabels, test: testFeatures,
                                             testLabels: testLabels, classes: classes) : nil
        let online = try onlineProbe?.accuracy(features: testFeatures, labels: testLabels)
        let bankKNN = try method.memoryBank.map { bank in
            try knnClassify(train: bank.rows, trainLabels: trainLabels, test: bank.embed(testFeatures),
                            testLabels: testLabels, classes: classes, temperature: Double(configuration.temperature))
        }
        return Evaluation(knn: knn, bankKNN: bankKNN, linear: linear, onlineProbe: online)
    }

    /// The most optimiser steps a run may take.
    static let maximumSteps = 1 << 53

    /// Optimiser steps in the whole run.
    public var totalSteps: Int { configuration.epochs * loader.sampler.batchesPerEpoch }

    /// Trains the remaining epochs, calling `progress` after each step (for a live progress bar) and `report` after
    /// each epoch (to log, evaluate, write metrics and checkpoints). `shouldStop` is asked after every step: when it
    /// says yes the run returns false there, in the middle of an epoch if need be, and a checkpoint written then
    /// resumes at the next step. Returns true when every epoch ran. `trace` records the steps it names.
    @discardableResult
    public func run(shouldStop: @escaping () -> Bool = { false }, progress onStep: (StepProgress) -> Void = { _ in },
                    trace: StepTrace? = nil, report: (EpochReport) throws -> Void) throws -> Bool {
        let perEpoch = loader.sampler.batchesPerEpoch
        // Every rank of a data-parallel run stops at the same step: any rank's request stops them all.
        let shouldStop = parallel.map { parallel in
            { try parallel.group.any(shouldStop(), what: "the ranks' agreement to stop") }
        } ?? shouldStop
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
            /// The next batch and the step taken on it, traced when `trace` names it; nil at the end of the epoch.
            func nextStep() throws -> (batch: LoadedBatch, result: TrainingStepResult)? {
                func take() throws -> (batch: LoadedBatch, result: TrainingStepResult)? {
                    guard let batch = try batches.next() else { return nil }
                    return (batch, try trainStep(batch))
                }
                guard let trace else { return try take() }
                return try trace.step(step + 1, take)
            }
            while let (batch, result) = try nextStep() {
                tick(inEpoch: true)
                progress.epochLossSum += Double(result.loss)
                progress.epochEmbeddingStdSum += Double(result.embeddingStd)
                progress.epochSteps += 1
                progress.epochImages += batch.indices.count * (parallel?.group.size ?? 1)
                let done = step - epoch * perEpoch
                onStep(StepProgress(epoch: epoch + 1, epochs: configuration.epochs, stepInEpoch: done,
                                    stepsPerEpoch: perEpoch, loss: Float(progress.epochLossSum / Double(progress.epochSteps)),
                                    embeddingStd: Float(progress.epochEmbeddingStdSum / Double(progress.epochSteps)),
                                    collapseThreshold: collapseMonitor.threshold,
                                    learningRate: schedule.learningRate(at: step - 1),
                                    imagesPerSecond: Double(progress.epochImages) / progress.epochSeconds,
                                    secondsLeftInEpoch: progress.epochSeconds / Double(progress.epochSteps)
                                        * Double(perEpoch - done)))
                if try shouldStop(), step < (epoch + 1) * perEpoch { return false }
            }
            let finished = progress
            epoch += 1
            (progress.epochLossSum, progress.epochSteps, progress.epochImages, progress.epochSeconds) = (0, 0, 0, 0)
            progress.epochEmbeddingStdSum = 0
            let steps = Double(max(finished.epochSteps, 1))
            try report(EpochReport(epoch: epoch, step: step, loss: Float(finished.epochLossSum / steps),
                                   learningRate: schedule.learningRate(at: step - 1),
                                   embeddingStd: Float(finished.epochEmbeddingStdSum / steps),
                                   imagesPerSecond: Double(finished.epochImages) / finished.epochSeconds,
                                   seconds: finished.seconds))
            if try shouldStop() { return epoch == configuration.epochs }
        }
        try parallel?.group.requireIdentical(Self.parameters(encoder, method, onlineProbe), after: step)
        return true
    }

    /// Where the run stands, in the one numbering every message uses: "after step 12 of 120, with 4 of 40 epochs
    /// completed".
    public var position: String { position(epoch: epoch, step: step) }

    /// `position` for a run at `epoch` epochs completed and `step` steps taken (a checkpoint's).
    public func position(epoch: Int, step: Int) -> String {
        "after step \(step) of \(totalSteps), with \(epoch) of \(configuration.epochs) epochs completed"
    }

    /// One optimiser step on a batch from `loader` (its labels, where the data has them, train the online probe; the
    /// method sees its views and image positions, `MethodBatch`): the method's forward, loss and backward, one read of the loss, then the optimiser's step at
    /// the schedule's learning rate and the method's update. A loss, or embeddings, that are not finite throw
    /// `TrainingDiverged` naming the step, before anything of it is applied. Returns the loss and the collapse
    /// monitor's statistic; `phases` is told as each phase is enqueued.
    @discardableResult
    public func trainStep(_ batch: LoadedBatch, phases: StepPhaseObserver = .none) throws -> TrainingStepResult {
        func diverged(_ detail: String) -> TrainingDiverged {
            TrainingDiverged(step: step + 1, epoch: step / loader.sampler.batchesPerEpoch + 1,
                             epochs: configuration.epochs, detail: detail)
        }
        try optimizer.setLearningRate(schedule.learningRate(at: step))
        parallel?.group.setActivity("step \(step + 1)")
        reducer?.beginStep()
        var value: Float, spread: Float
        var nonFinite: String?
        do {
            let result = try method.forwardBackward(MethodBatch(batch, step: step, gather: parallel?.gather ?? .single),
                                                    encoder: encoder, phases: phases)
            if let onlineProbe, let labels = batch.labels {
                try onlineProbe.accumulate(features: result.features, labels: labels,
                                           scale: 1 / Float(parallel?.group.size ?? 1))
            }
            let statistic = try collapseMonitor.statistic(of: result.embeddings)
            value = try result.loss.value()
            spread = try statistic.toArray()[0]
        } catch let error as SimileError where FiniteCheck.isNonFiniteInput(error) {
            guard parallel != nil else { throw diverged(error.description) }
            (value, spread, nonFinite) = (.nan, .nan, error.description)
        }
        if let parallel {
            // The ranks' mean loss (the same value on every rank when the loss is gathered), so that every rank
            // sees a divergence that any rank meets, and stops at the same step.
            var sums = [value, spread]
            try sums.withUnsafeMutableBufferPointer { try parallel.group.allReduceSum($0, what: "the step's loss") }
            let ranks = Float(parallel.group.size)
            (value, spread) = (sums[0] / ranks, sums[1] / ranks)
        }
        guard value.isFinite else { throw diverged(nonFinite ?? "the loss is \(value)") }
        try reducer?.finish(step: step + 1)
        try optimizer.step()
        try method.afterStep(step, of: totalSteps)
        zeroGradients()
        try phases.end(.optimizer)
        step += 1
        #if DEBUG
        if let parallel, step % ReplicaCheck.interval == 0 {
            try parallel.group.requireIdentical(Self.parameters(encoder, method, onlineProbe), after: step)
        }
        #endif
        return TrainingStepResult(loss: value, embeddingStd: spread)
    }

    private func zeroGradients() {
        trainedNetworks.forEach { $0.layer.zeroGradients() }
    }

    /// Every network the optimiser trains, under its checkpoint prefix: the encoder, the method's networks and the
    /// online probe.
    var trainedNetworks: [(prefix: String, layer: any Layer)] {
        Self.networks(encoder, method, onlineProbe)
    }

    private static func networks(_ encoder: any ImageEncoder, _ method: any SelfSupervisedMethod,
                                 _ probe: OnlineProbe?) -> [(prefix: String, layer: any Layer)] {
        [("encoder", encoder as any Layer)] + method.trainable + (probe.map { [("online_probe", $0.classifier)] } ?? [])
    }

    /// Every trainable parameter, named as in checkpoints ("encoder.conv1.weight", "head.0.weight").
    static func parameters(_ encoder: any ImageEncoder, _ method: any SelfSupervisedMethod,
                           _ probe: OnlineProbe? = nil) -> [(name: String, parameter: Parameter)] {
        networks(encoder, method, probe).flatMap { prefix, layer in
            layer.namedParameters().map { (prefix + "." + $0.name, $0.parameter) }
        }
    }

    static func encoder(_ model: TrainingConfiguration.Model, channels: Int, on device: Device,
                        seed: UInt64) throws -> any ImageEncoder {
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
    /// adaptation and the weight decay, as SimCLR does. The networks under the prefixes `fixed` (SimSiam's
    /// predictor) form a first group of their own at `learningRate`, which the schedule leaves as it is; the online
    /// probe's classifier one without weight decay.
    static func optimizer(_ configuration: TrainingConfiguration, parameters: [(name: String, parameter: Parameter)],
                          learningRate: Float, fixed: [String]) throws -> Optimizer {
        let weightDecay = configuration.weightDecay
        var groups = fixed.isEmpty ? [] : [ParameterGroup([], prefixes: fixed.map { $0 + "." }, learningRate: learningRate,
                                                          weightDecay: weightDecay, fixedLearningRate: true)]
        if parameters.contains(where: { $0.name.hasPrefix("online_probe.") }) {
            groups.append(ParameterGroup([], prefixes: ["online_probe."], learningRate: learningRate, weightDecay: 0))
        }
        let rule: OptimizerRule
        switch configuration.optimizer {
        case .sgd:
            rule = .sgd(momentum: configuration.momentum)
        case .lars:
            rule = .lars(momentum: configuration.momentum)
            groups.append(.larsExcluded(learningRate: learningRate))
        case .adamw:
            // --momentum is Adam's β1 (AMDIM trains with 0.8); β2 stays at 0.999.
            rule = .adamw(beta1: configuration.momentum)
        }
        return try Optimizer(rule, parameters, learningRate: learningRate, weightDecay: weightDecay, groups: groups)
    }
}
