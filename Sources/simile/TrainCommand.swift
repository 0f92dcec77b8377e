import ArgumentParser
import Foundation
import Simile
import SimileCommandLine

extension TrainingConfiguration.Model: ExpressibleByArgument {}
extension TrainingConfiguration.Method: ExpressibleByArgument {}
extension TrainingConfiguration.OptimizerName: ExpressibleByArgument {}
extension ConvAlgorithm: ExpressibleByArgument {}

/// `simile train`: a self-supervised run from flags over the dataset's defaults. The run directory gets
/// config.json (the whole configuration), metrics.csv (one row per epoch), metrics.svg (rewritten after each
/// evaluation), checkpoint.safetensors and backbone.safetensors.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train an encoder with SimCLR, DCL or DCLW (defaults: SimCLR on the embedded digits).")

    @Option(help: "The dataset (see `simile augment --help`).") var data = "digits"
    @Option(help: "The encoder: resnet18, resnet18-imagenet or resnet-small (\(trainingDefault(\.model) { $0.rawValue })).")
    var model: TrainingConfiguration.Model?
    @Option(help: "Projection-head widths, hidden layers then the output (\(trainingDefault(\.head) { $0.map(String.init).joined(separator: ",") })).")
    var head: String?
    @Option(help: "The loss: simclr (NT-Xent), dcl or dclw (\(trainingDefault(\.method) { $0.rawValue })).")
    var method: TrainingConfiguration.Method?
    @Option(parsing: .unconditional, help: "The loss temperature τ (\(trainingDefault(\.temperature))).") var temperature: Float?
    @Option(parsing: .unconditional, help: "DCLW's weighting σ (\(trainingDefault(\.sigma))).") var sigma: Float?
    @Option(help: "sgd, lars or adamw (\(trainingDefault(\.optimizer) { $0.rawValue })).")
    var optimizer: TrainingConfiguration.OptimizerName?
    @Option(parsing: .unconditional, help: "The base learning rate, before --lr-scaling (\(trainingDefault(\.learningRate))).")
    var lr: Float?
    @Option(help: "How the learning rate grows with the batch: none, linear (lr·B/256) or sqrt (lr·√B) (default: none).")
    var lrScaling: String?
    @Option(parsing: .unconditional, help: "SGD and LARS momentum, in [0, 1) (\(trainingDefault(\.momentum))).")
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
    @OptionGroup var device: DeviceOption

    /// The run directory of a new run.
    private var outDirectory: String { out ?? "runs/train" }

    /// The dataset's defaults with every flag given applied.
    func configuration() throws -> TrainingConfiguration {
        var config = try TrainingConfiguration.defaults(for: data)
        if let model { config.model = model }
        if let head {
            config.head = try head.split(separator: ",").map {
                guard let width = Int($0) else { throw SimileError.invalidArgument("--head: '\(head)' is not widths like 512,128") }
                return width
            }
        }
        if let method { config.method = method }
        if let temperature { config.temperature = temperature }
        if let sigma { config.sigma = sigma }
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

    /// Whether any flag that changes the configuration was given (refused with --resume).
    private var setsConfiguration: Bool {
        let values: [Any?] = [model, head, method, temperature, sigma, optimizer, lr, lrScaling, momentum, weightDecay,
                              warmupEpochs, epochs, batchSize, seed, trainSubset, evalEvery, checkpointEvery, preset]
        return data != "digits" || values.contains { $0 != nil } || !augmentation.tuning.isEmpty
    }

    func validate() throws {
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

    /// Opens the device, refusing a --conv-algorithm it cannot run before anything is made.
    private func openDevice() throws -> Device {
        let opened = try device.open()
        if convAlgorithm == .winograd, case .opencl = opened.backend {
            throw ValidationError("--conv-algorithm winograd runs on the CPU backend only, and the device is "
                                  + "\(opened); use auto or direct there, or --device cpu")
        }
        return opened
    }

    /// metrics.svg from the rows of metrics.csv (epoch, loss and kNN top-1 columns).
    private func writePlot(_ rows: [String], title: String, to out: String) throws {
        let cells = rows.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            .filter { $0.count >= 6 }  // a resumed run's metrics.csv may have been edited
        let svg = metricsSVG(epochs: cells.map { Int($0[1]) ?? 0 }, losses: cells.map { Float($0[2]) ?? .nan },
                             knnTop1: cells.map { Double($0[5]) }, title: title)
        try writeFileAtomically(Array(svg.utf8), to: out + "/metrics.svg")
    }

    /// "kNN top-1 … top-5 … | linear probe top-1 … top-5 …" for an evaluation.
    static func describe(_ evaluation: (knn: ClassificationAccuracy, linear: LinearProbeResult?), _ label: String) -> String {
        let knn = String(format: "  %@  kNN top-1 %.4f top-5 %.4f", label, evaluation.knn.top1, evaluation.knn.top5)
        return knn + (evaluation.linear.map {
            String(format: " | linear probe top-1 %.4f top-5 %.4f", $0.accuracy.top1, $0.accuracy.top5)
        } ?? "")
    }

    func run() throws {
        let stop = StopRequest()
        stop.exitAtOnce { "stopped by signal \($0) before training started; nothing was "
                          + (resume == nil ? "written" : "changed") }
        if let resume { return try train(resuming: resume, stop) }
        let config = try configuration()
        let trainer = try Trainer(config, on: openDevice())
        try trainer.requireTrainingStepFits()
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

    static let metricsHeader = "step,epoch,loss,lr,img_per_s,knn_top1,knn_top5,seconds"

    /// Continues the run in `path` from its checkpoint, keeping the metrics of the epochs it holds.
    private func train(resuming path: String, _ stop: StopRequest) throws {
        let directory = try RunDirectory(resuming: path)
        guard FileManager.default.fileExists(atPath: path + "/checkpoint.safetensors") else {
            throw SimileError.invalidArgument("\(path) holds no run to continue (no checkpoint.safetensors); start one "
                                              + "with: simile train --out \(path)")
        }
        let (tensors, metadata) = try Safetensors.read(path + "/checkpoint.safetensors")
        guard metadata["format"] == "simile-checkpoint", let text = metadata["configuration"] else {
            throw SimileError.invalidArgument("\(path)/checkpoint.safetensors is not a simile train checkpoint")
        }
        let trainer = try Trainer(TrainingConfiguration(json: text), on: openDevice())
        try trainer.restore(from: tensors, metadata: metadata)
        try trainer.requireTrainingStepFits()
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
        try train(trainer, in: directory, stop, rows: rows.isEmpty ? [Self.metricsHeader] : rows, fresh: false)
    }

    /// Trains the run in `directory` to its end. A run stopped by a signal keeps a checkpoint where it stopped; a
    /// fresh run that fails before it has checkpointed a step takes away what it made, so the same command can be
    /// given again; any other failure names the last good checkpoint.
    private func train(_ trainer: Trainer, in directory: RunDirectory, _ stop: StopRequest, rows initialRows: [String],
                       fresh: Bool) throws {
        let config = trainer.configuration
        let out = directory.path
        trainer.encoder.setConvAlgorithm(convAlgorithm)
        print("simile train: \(config.method.rawValue) on \(trainer.trainSet.name), \(config.architecture), "
              + "\(config.epochs) epochs of "
              + "\(trainer.loader.sampler.batchesPerEpoch) steps, batch \(config.batchSize), on \(trainer.device)")
        print(String(format: "%@ lr %g%@, momentum %g, weight decay %g, warm-up %d epochs, τ %g%@, seed %llu",
                     config.optimizer.rawValue, config.learningRate,
                     config.lrScaling.map { " scaled \($0.rawValue)" } ?? "", config.momentum, config.weightDecay,
                     config.warmupEpochs, config.temperature, config.method == .dclw ? String(format: ", σ %g", config.sigma) : "",
                     config.seed)
              + ", evaluated every \(config.evalEvery) and checkpointed every \(config.checkpointEvery) epochs")
        print("augmentation (\(trainer.preset.rawValue)\(config.augmentation == nil ? "" : ", tuned")): \(trainer.augmentation)")
        print("configuration: \(out)/config.json")
        fflush(stdout)
        var checkpointed = (epoch: trainer.epoch, step: trainer.step)
        let continueLine = "Continue with: simile train --resume \(out)"
        var initial: (knn: ClassificationAccuracy, linear: LinearProbeResult?)?
        let finished: Bool
        do {
            if trainer.step == 0 {
                stop.exitAtOnce { "stopped by signal \($0) during the evaluation at random init; kept: the run at step 0 in "
                                  + "\(out). \(continueLine)" }
                initial = try trainer.evaluate(linearProbe: true)
                stop.stopAtSafePoint()
                if let initial { print(Self.describe(initial, "at random init")) }
                fflush(stdout)
            }
            var rows = initialRows
            let line = ProgressLine()
            finished = try trainer.run(shouldStop: { stop.first != nil }, progress: line.update) { report in
                line.clear()
                let evaluated = report.epoch % config.evalEvery == 0 || report.epoch == config.epochs
                let knn = evaluated ? try trainer.evaluate()?.knn : nil
                let knnText = knn.map { String(format: "  kNN top-1 %.4f  top-5 %.4f", $0.top1, $0.top5) } ?? ""
                print(String(format: "epoch %d/%d  loss %.4f  lr %.4g  %.0f img/s  %.0f s", report.epoch, config.epochs,
                             report.loss, report.learningRate, report.imagesPerSecond, report.seconds) + knnText)
                fflush(stdout)  // one line per epoch reaches a log file or a pipe as it happens
                let knnColumns = knn.map { String(format: "%.4f,%.4f", $0.top1, $0.top5) } ?? ","
                rows.append(String(format: "%d,%d,%.6f,%.6g,%.1f,", report.step, report.epoch, report.loss,
                                   report.learningRate, report.imagesPerSecond) + knnColumns
                            + String(format: ",%.2f", report.seconds))
                try writeFileAtomically(Array((rows.joined(separator: "\n") + "\n").utf8), to: out + "/metrics.csv")
                if evaluated { try writePlot(rows, title: "\(config.method.rawValue) on \(trainer.trainSet.name)", to: out) }
                if report.epoch % config.checkpointEvery == 0 {
                    try trainer.writeCheckpoint(to: out)
                    checkpointed = (trainer.epoch, trainer.step)
                }
            }
            line.clear()
            try trainer.writeCheckpoint(to: out)
        } catch {
            throw failure(error, trainer: trainer, directory: directory, checkpointed: checkpointed, fresh: fresh)
        }
        if !finished, let signal = stop.first {
            print("stopped by signal \(signal) \(trainer.position); kept: the checkpoint there in \(out). \(continueLine)")
            throw ExitCode(128 + signal)
        }
        stop.exitAtOnce { "stopped by signal \($0) during the final evaluation; the trained run is complete in \(out). "
                          + "Evaluate it with: simile eval knn --checkpoint \(out)/checkpoint.safetensors" }
        if let final = try trainer.evaluate(linearProbe: true) {
            print("held-out \(trainer.testSet?.name ?? "split"):")
            if let initial, config.epochs > 0 { print(Self.describe(initial, "random init")) }
            print(Self.describe(final, config.epochs > 0 ? "trained    " : "random init"))
        }
        print("checkpoint: \(out)/checkpoint.safetensors; encoder for torchvision: \(out)/backbone.safetensors")
    }

    /// The error for a run that failed: what went wrong, what was kept and what to do. A fresh run with no step
    /// checkpointed takes away what it made.
    private func failure(_ error: Error, trainer: Trainer, directory: RunDirectory, checkpointed: (epoch: Int, step: Int),
                         fresh: Bool) -> Error {
        let removed = fresh && checkpointed.step == 0
        if removed { directory.removeCreated() }
        let kept = removed
            ? "nothing was kept (\(directory.path) was cleared), so the same command starts it again"
            : "the last good checkpoint is \(directory.path)/checkpoint.safetensors, "
                + trainer.position(epoch: checkpointed.epoch, step: checkpointed.step)
        if let diverged = error as? TrainingDiverged {
            return SimileError.invalidArgument("\(diverged); \(kept). Try a lower --lr (this run's is "
                                               + String(format: "%g", trainer.configuration.learningRate) + ")")
        }
        guard let error = error as? SimileError else { return error }
        return SimileError.invalidArgument("\(error) (\(trainer.position)); \(kept)")
    }
}
