import ArgumentParser
import Foundation
import Simile
import SimileCommandLine

extension TrainingConfiguration.Model: ExpressibleByArgument {}
extension TrainingConfiguration.OptimizerName: ExpressibleByArgument {}
extension ConvAlgorithm: ExpressibleByArgument {}

/// `simile train`: a self-supervised run from flags over the dataset's defaults. The run directory gets
/// config.json (the whole configuration), metrics.csv (one row per epoch), metrics.svg (rewritten after each
/// evaluation), checkpoint.safetensors and backbone.safetensors.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an encoder with a self-supervised method (defaults: SimCLR on the embedded digits).")

    @Option(help: "The dataset (see `simile augment --help`).") var data = "digits"
    @Option(help: "The encoder: resnet18, resnet18-imagenet or resnet-small (\(trainingDefault(\.model) { $0.rawValue })).")
    var model: TrainingConfiguration.Model?
    @Option(help: "Projection-head widths, hidden layers then the output (\(trainingDefault(\.head, of: .head) { $0.map(String.init).joined(separator: ",") })).")
    var head: String?
    @Option(help: ArgumentHelp("The method (default: simclr); each sets its own defaults of the flags below:",
                               discussion: MethodRegistry.entries.map { "\($0.name): \($0.summary)" }
                                   .joined(separator: "\n")))
    var method: String?
    @Option(parsing: .unconditional, help: "The loss temperature τ (\(trainingDefault(\.temperature, of: .temperature))).")
    var temperature: Float?
    @Option(parsing: .unconditional, help: "DCLW's weighting σ (\(trainingDefault(\.sigma, of: .sigma))).") var sigma: Float?
    @Option(parsing: .unconditional, help: "The target network's EMA momentum at the first step, in [0, 1] (\(methodSettingDefault(\.emaMomentum, of: .emaMomentum))).")
    var emaMomentum: Float?
    @Option(parsing: .unconditional, help: "The EMA momentum at the last step, reached on a half cosine; equal to --ema-momentum for a constant (\(methodSettingDefault(\.emaMomentumEnd, of: .emaMomentumEnd))).")
    var emaMomentumEnd: Float?
    @Option(parsing: .unconditional, help: "MoCo's queue of negative keys, NNCLR's support set; at most the training images (\(methodSettingDefault(\.queueSize, of: .queueSize))).")
    var queueSize: Int?
    @Option(help: "Predictor widths, hidden layers then the output (\(methodSettingDefault(\.predictor, of: .predictor) { $0.map(String.init).joined(separator: ",") })).")
    var predictor: String?
    @Option(parsing: .unconditional, help: "SwAV's prototypes, the clusters its codes assign views to (\(methodSettingDefault(\.prototypes, of: .prototypes))).")
    var prototypes: Int?
    @Option(parsing: .unconditional, help: "SwAV's small crops COUNT,SIZE beside its two large ones (e.g. 6,16: six 16×16 crops of 5–14% of the image; the large crops then take 14–100%) (default: none).")
    var multiCrop: String?
    @Option(parsing: .unconditional, help: "SwAV's queue of past embeddings LENGTH,EPOCH per large crop: LENGTH a multiple of the batch, filled from epoch EPOCH (counted from 0) and used once full (e.g. 3840,15) (default: none).")
    var swavQueue: String?
    @Option(help: "The loss: simclr's ntxent, or triplet (one negative mined from the batch per anchor; --temperature is then not read) (default: ntxent); instdisc's and pirl's softmax (over the whole memory bank), or nce (against --negatives rows drawn from it) (default: softmax).")
    var loss: String?
    @Option(parsing: .unconditional, help: "The triplet loss's margin between squared distances of unit embeddings, ≥ 0 (default: 0.2 with --loss triplet).")
    var margin: Float?
    @Option(help: "How the triplet loss mines each anchor's negative: hardest, or semi-hard (FaceNet's) (default: semi-hard with --loss triplet).")
    var mining: String?
    @Option(parsing: .unconditional, help: "NCE's noise rows drawn from the memory bank each step, shared by the batch (default: 4096 with --loss nce).")
    var negatives: Int?
    @Flag(help: "Train a linear classifier on the detached encoder features alongside the method and report its held-out accuracy at each evaluation (data sets with labels).")
    var onlineProbe = false
    @Option(help: "sgd, lars or adamw (\(trainingDefault(\.optimizer) { $0.rawValue })).")
    var optimizer: TrainingConfiguration.OptimizerName?
    @Option(parsing: .unconditional, help: "The base learning rate, before --lr-scaling (\(trainingDefault(\.learningRate))).")
    var lr: Float?
    @Option(help: "How the learning rate grows with the batch: none, linear (lr·B/256) or sqrt (lr·√B) (default: none).")
    var lrScaling: String?
    @Option(parsing: .unconditional, help: "SGD and LARS momentum, AdamW's β1, in [0, 1) (\(trainingDefault(\.momentum))).")
    var momentum: Float?
    @Option(parsing: .unconditional, help: "Weight decay (\(trainingDefault(\.weightDecay))).") var weightDecay: Float?
    @Option(parsing: .unconditional, help: "Epochs of linear learning-rate warm-up before the cosine decay (\(trainingDefault(\.warmupEpochs))).")
    var warmupEpochs: Int?
    @Option(parsing: .unconditional, help: "Passes over the training images (\(trainingDefault(\.epochs))).") var epochs: Int?
    @Option(parsing: .unconditional, help: "Images per step, each giving two views (\(trainingDefault(\.batchSize))).")
    var batchSize: Int?
    @Option(parsing: .unconditional, help: "The seed of every random choice: weights, order, views; 0 to 2^64−1 (\(trainingDefault(\.seed))).")
    var seed: String?
    @Option(parsing: .unconditional, help: "Train on the first N training images (default: all).") var trainSubset: Int?
    @Option(parsing: .unconditional, help: "Evaluate (kNN on the test split) every N epochs, and at the end (\(trainingDefault(\.evalEvery))).")
    var evalEvery: Int?
    @Option(parsing: .unconditional, help: "Write the checkpoint every N epochs, and at the end (\(trainingDefault(\.checkpointEvery))).")
    var checkpointEvery: Int?
    @Option(help: "The augmentation preset: simclr, digits or none (default: digits for digits and mnist, else simclr).")
    var preset: String?
    @OptionGroup var augmentation: AugmentationOptions
    @Option(help: "The run directory, made if missing; it must not hold a run already (default: runs/train).") var out: String?
    @Option(help: "Continue the run in this directory from its checkpoint, with its own configuration (default: start a new run in --out).") var resume: String?
    @Option(help: "How convolutions run: auto (Winograd for large 3×3 stride-1 ones on the CPU), direct, or winograd (wherever it applies, CPU only). Not part of the run's configuration: it may differ on --resume.")
    var convAlgorithm: ConvAlgorithm = .auto
    @Flag(help: "Train as one process of a data-parallel run, under mpirun or another MPI launcher: each process trains a replica on its share of every global batch of --batch-size, gradients are summed over the processes, and only rank 0 writes the run's files and prints.")
    var distributed = false
    @Flag(inversion: .prefixedNo, help: "With --distributed, whether each loss sees every process's embeddings as negatives (the global batch) or only its own.")
    var gatherNegatives = true
    @Flag(help: "With --distributed, normalise batch norm over every process's rows (default: each process's own).")
    var syncBn = false
    @Option(parsing: .unconditional, help: "With --distributed, the size in MB of the buckets in which gradients are summed over the processes, each started as soon as its gradients are complete (default: 25).")
    var bucketMb: Double?
    @Option(parsing: .unconditional, help: "With --distributed, the seconds a process waits in a collective before it checks that the others are alive; a process that died or was stopped then ends the run (default: 300).")
    var rankTimeout: Double?
    @OptionGroup var device: DeviceOption
    @OptionGroup var precision: PrecisionOption
    @OptionGroup var tracing: TraceOptions

    /// The run directory of a new run.
    private var outDirectory: String { out ?? "runs/train" }

    /// The defaults of the method on the dataset with every flag given applied.
    func configuration() throws -> TrainingConfiguration {
        var config = try TrainingConfiguration.defaults(for: data, method: method ?? "simclr")
        let entry = try MethodRegistry.entry(named: config.method)
        let methodFlags: [(MethodSetting, Bool)] = [(.head, head != nil), (.temperature, temperature != nil),
                                                    (.sigma, sigma != nil),
                                                    (.emaMomentum, emaMomentum != nil),
                                                    (.emaMomentumEnd, emaMomentumEnd != nil),
                                                    (.queueSize, queueSize != nil), (.predictor, predictor != nil),
                                                    (.prototypes, prototypes != nil), (.loss, loss != nil),
                                                    (.margin, margin != nil), (.mining, mining != nil),
                                                    (.negatives, negatives != nil),
                                                    (.multiCrop, multiCrop != nil), (.swavQueue, swavQueue != nil)]
        for (setting, given) in methodFlags where given && !entry.settings.contains(setting) {
            throw SimileError.invalidArgument("\(setting.flag) is not a setting of \(entry.name)")
        }
        try chooseLoss(&config, of: entry)
        if let multiCrop {
            let (count, size) = try wholePair(multiCrop, flag: "--multi-crop", names: "COUNT,SIZE")
            config.multiCrop = MultiCrop(count: count, size: size)
        }
        if let swavQueue {
            let (length, start) = try wholePair(swavQueue, flag: "--swav-queue", names: "LENGTH,EPOCH")
            config.swavQueue = SwAVQueue(length: length, startEpoch: start)
        }
        if let model { config.model = model }
        if let head { config.head = try parseWidths(head, flag: "--head") }
        if let temperature { config.temperature = temperature }
        if let sigma { config.sigma = sigma }
        if let emaMomentum {
            // A constant momentum unless the method's schedule or --ema-momentum-end says otherwise.
            if config.emaMomentumEnd == config.emaMomentum { config.emaMomentumEnd = emaMomentum }
            config.emaMomentum = emaMomentum
        }
        if let emaMomentumEnd { config.emaMomentumEnd = emaMomentumEnd }
        if let queueSize { config.queueSize = queueSize }
        if let predictor { config.predictor = try parseWidths(predictor, flag: "--predictor") }
        if let prototypes { config.prototypes = prototypes }
        if onlineProbe { config.onlineProbe = true }
        if let optimizer { config.optimizer = optimizer }
        if let lr { config.learningRate = lr }
        if let lrScaling {
            guard lrScaling == "none" || BatchScaling(rawValue: lrScaling) != nil else {
                throw SimileError.invalidArgument("--lr-scaling must be none, linear or sqrt, got '\(lrScaling)'")
            }
            config.lrScaling = BatchScaling(rawValue: lrScaling)
        }
        if let momentum { config.momentum = momentum }
        if let weightDecay { config.weightDecay = weightDecay }
        if let warmupEpochs { config.warmupEpochs = warmupEpochs }
        if let epochs { config.epochs = epochs }
        if let batchSize { config.batchSize = batchSize }
        if let seed { config.seed = try parseSeed(seed) }
        if let trainSubset { config.trainSubset = trainSubset }
        if let evalEvery { config.evalEvery = evalEvery }
        if let checkpointEvery { config.checkpointEvery = checkpointEvery }
        if let preset { config.preset = try AugmentationPreset(parsing: preset) }
        if !augmentation.tuning.isEmpty { config.augmentation = augmentation.tuning }
        try config.validate()
        return config
    }

    /// "A,B" as two whole numbers; one error naming the flag and its form `names` otherwise.
    private func wholePair(_ text: String, flag: String, names: String) throws -> (Int, Int) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 2, let first = parts[0], let second = parts[1] else {
            throw SimileError.invalidArgument("\(flag) takes \(names), two whole numbers, got '\(text)'")
        }
        return (first, second)
    }

    /// `--loss`'s choice among the method's losses (`MethodEntry.losses`, the first its default) with its settings:
    /// --margin and --mining belong to triplet (which reads no --temperature), --negatives to nce.
    private func chooseLoss(_ config: inout TrainingConfiguration, of entry: MethodEntry) throws {
        let chosen = loss ?? entry.losses.first
        if let loss, !entry.losses.contains(loss) {
            throw SimileError.invalidArgument("--loss must be \(entry.losses.joined(separator: " or ")), got '\(loss)'")
        }
        if chosen != "triplet", let flag = margin != nil ? "--margin" : mining != nil ? "--mining" : nil {
            throw SimileError.invalidArgument("\(flag) is a setting of --loss triplet")
        }
        if chosen != "nce", negatives != nil {
            throw SimileError.invalidArgument("--negatives is a setting of --loss nce")
        }
        if chosen == "triplet" {
            if temperature != nil { throw SimileError.invalidArgument("--temperature is not read by --loss triplet") }
            let chosenMining = try mining.map { text in
                guard let value = TripletMining(rawValue: text) else {
                    throw SimileError.invalidArgument("--mining must be hardest or semi-hard, got '\(text)'")
                }
                return value
            }
            config.triplet = TripletSettings(margin: margin ?? 0.2, mining: chosenMining ?? .semiHard)
        }
        if chosen == "nce" { config.nce = NCESettings(negatives: negatives ?? NCESettings().negatives) }
    }

    /// Whether any flag that changes the configuration was given (refused with --resume).
    private var setsConfiguration: Bool {
        let values: [Any?] = [model, head, method, temperature, sigma, emaMomentum, emaMomentumEnd, queueSize, predictor,
                              prototypes, loss, margin, mining, negatives, multiCrop, swavQueue, optimizer, lr, lrScaling, momentum,
                              weightDecay, warmupEpochs, epochs, batchSize, seed, trainSubset, evalEvery, checkpointEvery,
                              preset]
        return data != "digits" || values.contains { $0 != nil } || onlineProbe || !augmentation.tuning.isEmpty
    }

    func validate() throws {
        if !distributed, let flag = syncBn ? "--sync-bn" : !gatherNegatives ? "--no-gather-negatives"
            : rankTimeout != nil ? "--rank-timeout" : bucketMb != nil ? "--bucket-mb" : nil {
            throw ValidationError("\(flag) is a setting of --distributed")
        }
        if let rankTimeout, !(rankTimeout.isFinite && rankTimeout > 0) {
            throw ValidationError("--rank-timeout must be a positive number of seconds, got \(rankTimeout)")
        }
        if let bucketMb, !(bucketMb.isFinite && bucketMb > 0 && bucketMb <= 1_048_576) {
            throw ValidationError("--bucket-mb must be a positive number of MB up to 1048576, got \(bucketMb)")
        }
        if let resume {
            guard !setsConfiguration else {
                throw ValidationError("--resume continues a run with its own configuration; give no other training flags")
            }
            guard out == nil else {
                throw ValidationError("--resume \(resume) continues the run in its own directory; --out cannot move it")
            }
            return
        }
        try asValidationError { _ = try configuration() }
        try asValidationError { try RunDirectory.checkNew(outDirectory) }
    }

    /// Opens the device in --precision, refusing a --conv-algorithm or a precision it cannot run before anything
    /// is made.
    private func openDevice(_ parallel: DataParallel?) throws -> Device {
        let opened = try parallel.map { try device.open(localRank: $0.group.localRank, localSize: $0.group.localSize) }
            ?? device.open()
        if convAlgorithm == .winograd, case .opencl = opened.backend {
            throw ValidationError("--conv-algorithm winograd runs on the CPU backend only, and the device is "
                                  + "\(opened); use auto or direct there, or --device cpu")
        }
        try precision.apply(to: opened)
        return opened
    }

    func run() throws {
        let stop = StopRequest()
        stop.exitAtOnce { "stopped by signal \($0) before training started; nothing was "
                          + (resume == nil ? "written" : "changed") }
        let parallel = try joinRun()
        guard let parallel, parallel.group.size > 1 else { return try start(stop, parallel) }
        // A rank that fails ends every rank at once (the others would wait for it in their next collective), after
        // its one line; ranks other than 0 say whose it is (a setting every rank refuses is printed once per rank).
        // A signal is no failure: every rank stops at the same step and exits on its own.
        do {
            try start(stop, parallel)
        } catch let error where !(error is ExitCode) {
            let rank = parallel.group.rank == 0 ? "" : "rank \(parallel.group.rank) of \(parallel.group.size): "
            FileHandle.standardError.write(Data("Error: \(rank)\(error)\n".utf8))
            parallel.group.abortRun()
        }
    }

    /// A new run, or the one --resume names, as this process's part of it.
    private func start(_ stop: StopRequest, _ parallel: DataParallel?) throws {
        if let resume { return try train(resuming: resume, stop, parallel) }
        let config = try configuration()
        let trainer = try Trainer(config, on: openDevice(parallel), parallel: parallel)
        try trainer.requireTrainingStepFits()
        try checkTraceSteps(trainer)
        if let parallel, parallel.group.rank != 0 { return try follow(trainer, stop) }
        stop.stopAtSafePoint()
        let directory = try RunDirectory(creating: outDirectory)
        do {
            // The checkpoint of step 0 first: from here on the directory is a run that --resume continues.
            try trainer.writeCheckpoint(to: directory.path)
            try writeFileAtomically(Array(try config.json().utf8), to: directory.path + "/config.json")
        } catch {
            directory.removeCreated()
            throw error
        }
        try train(trainer, in: directory, stop, rows: [Self.metricsHeader], fresh: true)
    }

    /// Continues the run in `path` from its checkpoint, keeping the metrics of the epochs it holds.
    private func train(resuming path: String, _ stop: StopRequest, _ parallel: DataParallel?) throws {
        let follower = parallel.map { $0.group.rank != 0 } ?? false
        let directory = follower ? nil : try RunDirectory(resuming: path)
        guard FileManager.default.fileExists(atPath: path + "/checkpoint.safetensors") else {
            throw SimileError.invalidArgument("\(path) holds no run to continue (no checkpoint.safetensors); start one "
                                              + "with: simile train --out \(path)")
        }
        let (tensors, metadata) = try Safetensors.read(path + "/checkpoint.safetensors")
        guard metadata["format"] == "simile-checkpoint", let text = metadata["configuration"] else {
            throw SimileError.invalidArgument("\(path)/checkpoint.safetensors is not a simile train checkpoint")
        }
        let trainer = try Trainer(TrainingConfiguration(json: text), on: openDevice(parallel), parallel: parallel)
        try trainer.restore(from: tensors, metadata: metadata)
        try trainer.requireTrainingStepFits()
        try checkTraceSteps(trainer)
        guard let directory else { return try follow(trainer, stop) }
        stop.stopAtSafePoint()
        if !FileManager.default.fileExists(atPath: path + "/config.json") {
            try writeFileAtomically(Array(try trainer.configuration.json().utf8), to: path + "/config.json")
        }
        let previous = (try? String(contentsOfFile: path + "/metrics.csv", encoding: .utf8)) ?? ""
        let rows = previous.split(separator: "\n").enumerated().filter { index, row in
            index == 0 || Int(row.split(separator: ",", omittingEmptySubsequences: false).dropFirst().first ?? "") ?? .max
                <= trainer.epoch
        }.map { String($0.element) }
        print("resuming \(path) \(trainer.position)")
        // The header is this version's (a run begun before a column was added gets it; its older rows stay shorter).
        try train(trainer, in: directory, stop, rows: [Self.metricsHeader] + rows.dropFirst(), fresh: false)
    }

    /// With --distributed: joins the run's process group (initialising MPI) once every process has checked its
    /// flags, so that no rank's check sees the run directory rank 0 then makes.
    private func joinRun() throws -> DataParallel? {
        guard distributed else { return nil }
        let group = try ProcessGroup.world(timeout: rankTimeout ?? 300)
        _ = try group.any(false, what: "the start of the run")
        return DataParallel(group: group, gatherNegatives: gatherNegatives, syncBatchNorm: syncBn,
                            bucketBytes: Int((bucketMb ?? 25) * 1_048_576))
    }

    /// A rank other than 0 of a data-parallel run: trains its replica in step with the others, and writes and prints
    /// nothing (rank 0 reports for the run). A signal stops it at the step where every rank stops.
    private func follow(_ trainer: Trainer, _ stop: StopRequest) throws {
        trainer.encoder.setConvAlgorithm(convAlgorithm)
        stop.stopAtSafePoint()
        do {
            if try !trainer.run(shouldStop: { stop.first != nil }, report: { _ in }), let signal = stop.first {
                throw ExitCode(128 + signal)
            }
        } catch let error as SimileError {
            throw SimileError.invalidArgument("\(error) (\(trainer.position))")
        }
    }
}
