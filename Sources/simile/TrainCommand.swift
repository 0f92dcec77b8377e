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
    @Option(help: "resnet18, resnet18-imagenet or resnet-small (default: per dataset).") var model: TrainingConfiguration.Model?
    @Option(help: "Projection-head widths, e.g. 512,128.") var head: String?
    @Option(help: "simclr, dcl or dclw.") var method: TrainingConfiguration.Method?
    @Option(parsing: .unconditional, help: "The loss temperature τ.") var temperature: Float?
    @Option(parsing: .unconditional, help: "DCLW's σ.") var sigma: Float?
    @Option(help: "sgd, lars or adamw.") var optimizer: TrainingConfiguration.OptimizerName?
    @Option(parsing: .unconditional, help: "The base learning rate.") var lr: Float?
    @Option(help: "none, linear (lr·B/256) or sqrt (lr·√B).") var lrScaling: String?
    @Option(parsing: .unconditional) var momentum: Float?
    @Option(parsing: .unconditional) var weightDecay: Float?
    @Option(parsing: .unconditional) var warmupEpochs: Int?
    @Option(parsing: .unconditional) var epochs: Int?
    @Option(parsing: .unconditional) var batchSize: Int?
    @Option var seed: UInt64?
    @Option(parsing: .unconditional, help: "Train on the first N training images.") var trainSubset: Int?
    @Option(parsing: .unconditional) var evalEvery: Int?
    @Option(parsing: .unconditional) var checkpointEvery: Int?
    @Option(help: "simclr, digits or none (default: per dataset).") var preset: String?
    @OptionGroup var augmentation: AugmentationOptions
    @Option(help: "The run directory; it must not hold a run already.") var out = "runs/train"
    @Option(help: "Continue the run in this directory from its checkpoint, with its own configuration.") var resume: String?
    @Option(help: "How convolutions run: auto (Winograd for 3×3 stride-1 ones on the CPU), direct or winograd. Not part of the run's configuration: it may differ on --resume.")
    var convAlgorithm: ConvAlgorithm = .auto
    @OptionGroup var device: DeviceOption

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
        if let seed { config.seed = seed }
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
        if resume != nil {
            guard !setsConfiguration else {
                throw ValidationError("--resume continues a run with its own configuration; give no other training flags")
            }
            return
        }
        try asValidationError { _ = try configuration() }
        try asValidationError {
            if FileManager.default.fileExists(atPath: out + "/checkpoint.safetensors")
                || FileManager.default.fileExists(atPath: out + "/config.json") {
                throw SimileError.invalidArgument("--out \(out) already holds a run; choose another directory")
            }
        }
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
        if let resume { return try train(resuming: resume) }
        let config = try configuration()
        let trainer = try Trainer(config, on: device.open())
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try writeFileAtomically(Array(try config.json().utf8), to: out + "/config.json")
        try train(trainer, in: out, rows: ["step,epoch,loss,lr,img_per_s,knn_top1,knn_top5,seconds"])
    }

    /// Continues the run in `directory` from its checkpoint, keeping the metrics of the epochs it holds.
    private func train(resuming directory: String) throws {
        let (tensors, metadata) = try Safetensors.read(directory + "/checkpoint.safetensors")
        guard metadata["format"] == "simile-checkpoint", let text = metadata["configuration"] else {
            throw SimileError.invalidArgument("\(directory)/checkpoint.safetensors is not a simile train checkpoint")
        }
        let trainer = try Trainer(TrainingConfiguration(json: text), on: device.open())
        try trainer.restore(from: tensors)
        let previous = (try? String(contentsOfFile: directory + "/metrics.csv", encoding: .utf8)) ?? ""
        let rows = previous.split(separator: "\n").enumerated().filter { index, row in
            index == 0 || Int(row.split(separator: ",", omittingEmptySubsequences: false).dropFirst().first ?? "") ?? .max
                <= trainer.epoch
        }.map { String($0.element) }
        print("resuming \(directory) at epoch \(trainer.epoch) of \(trainer.configuration.epochs), step \(trainer.step)")
        try train(trainer, in: directory, rows: rows.isEmpty ? ["step,epoch,loss,lr,img_per_s,knn_top1,knn_top5,seconds"] : rows,
                  resumed: true)
    }

    private func train(_ trainer: Trainer, in out: String, rows initialRows: [String], resumed: Bool = false) throws {
        let config = trainer.configuration
        trainer.encoder.setConvAlgorithm(convAlgorithm)
        print("simile train: \(config.method.rawValue) on \(trainer.trainSet.name), \(config.architecture), "
              + "\(config.epochs) epochs of "
              + "\(trainer.totalSteps / max(config.epochs, 1)) steps, batch \(config.batchSize), on \(trainer.device)")
        print(String(format: "%@ lr %g%@, momentum %g, weight decay %g, warm-up %d epochs, τ %g%@, seed %llu",
                     config.optimizer.rawValue, config.learningRate,
                     config.lrScaling.map { " scaled \($0.rawValue)" } ?? "", config.momentum, config.weightDecay,
                     config.warmupEpochs, config.temperature, config.method == .dclw ? String(format: ", σ %g", config.sigma) : "",
                     config.seed)
              + ", evaluated every \(config.evalEvery) and checkpointed every \(config.checkpointEvery) epochs")
        print("augmentation (\(trainer.preset.rawValue)\(config.augmentation == nil ? "" : ", tuned")): \(trainer.augmentation)")
        print("configuration: \(out)/config.json")
        let initial = resumed ? nil : try trainer.evaluate(linearProbe: true)
        if let initial { print(Self.describe(initial, "at random init")) }
        fflush(stdout)
        var rows = initialRows
        let stop = StopRequest()
        let line = ProgressLine()
        let finished = try trainer.run(shouldStop: { stop.first != nil }, progress: line.update) { report in
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
            if report.epoch % config.checkpointEvery == 0 { try trainer.writeCheckpoint(to: out) }
        }
        stop.release()
        line.clear()
        try trainer.writeCheckpoint(to: out)
        if !finished, let signal = stop.first {
            print("stopped by signal \(signal) at epoch \(trainer.epoch + 1), step \(trainer.step); checkpoint written. "
                  + "Continue with: simile train --resume \(out)")
            throw ExitCode(128 + signal)
        }
        if let final = try trainer.evaluate(linearProbe: true) {
            print("held-out \(trainer.testSet?.name ?? "split"):")
            if let initial, config.epochs > 0 { print(Self.describe(initial, "random init")) }
            print(Self.describe(final, config.epochs > 0 ? "trained    " : "random init"))
        }
        print("checkpoint: \(out)/checkpoint.safetensors; encoder for torchvision: \(out)/backbone.safetensors")
    }
}
