import ArgumentParser
import Foundation
import Simile
import SimileCommandLine

/// `simile train`'s run in its directory, once the trainer is made: the log lines, metrics.csv and metrics.svg, the
/// checkpoints and evaluations, and what a signal or a failure leaves behind.
extension TrainCommand {
    static let metricsHeader = "step,epoch,loss,lr,img_per_s,knn_top1,knn_top5,seconds,embedding_std,online_probe_top1"

    /// metrics.svg from the rows of metrics.csv (epoch, loss and kNN top-1 columns).
    private func writePlot(_ rows: [String], title: String, to out: String) throws {
        let cells = rows.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            .filter { $0.count >= 6 }  // a resumed run's metrics.csv may have been edited
        let svg = metricsSVG(epochs: cells.map { Int($0[1]) ?? 0 }, losses: cells.map { Float($0[2]) ?? .nan },
                             knnTop1: cells.map { Double($0[5]) },
                             embeddingStd: cells.map { $0.count > 8 ? Double($0[8]) : nil }, title: title)
        try writeFileAtomically(Array(svg.utf8), to: out + "/metrics.svg")
    }

    /// The method's own settings and the optimiser groups it asked for: "τ 0.1, queue 4096, EMA momentum 0.99
    /// (constant)", "EMA momentum 0.99 → 1 (half cosine), predictor.* at a fixed lr 0.05 (no schedule)".
    static func methodSettings(_ trainer: Trainer) -> String {
        let config = trainer.configuration
        let settings = (try? MethodRegistry.entry(named: config.method).settings) ?? []
        var parts: [String] = []
        if let triplet = config.triplet {
            parts.append(String(format: "triplet loss, margin %g, ", triplet.margin) + "\(triplet.mining.rawValue) negatives")
        } else if settings.contains(.temperature) {
            parts.append(String(format: "τ %g", config.temperature))
        }
        if let nce = config.nce { parts.append("NCE against \(nce.negatives) bank rows per step") }
        if settings.contains(.sigma) { parts.append(String(format: "σ %g", config.sigma)) }
        if let size = config.queueSize { parts.append("queue \(size)") }
        if let count = config.prototypes { parts.append("\(count) prototypes") }
        if let crops = config.multiCrop { parts.append("\(crops.count) small crops of \(crops.size)×\(crops.size)") }
        if let queue = config.swavQueue {
            parts.append("a queue of \(queue.length) per large crop from epoch \(queue.startEpoch)")
        }
        if let start = config.emaMomentum, let end = config.emaMomentumEnd {
            parts.append(start == end ? String(format: "EMA momentum %g (constant)", start)
                                      : String(format: "EMA momentum %g → %g (half cosine)", start, end))
        }
        for group in trainer.optimizer.groups where group.fixedLearningRate {
            parts.append(group.prefixes.map { $0 + "*" }.joined(separator: ", ")
                         + String(format: " at a fixed lr %g (no schedule)", group.learningRate))
        }
        if config.onlineProbe == true { parts.append("online linear probe") }
        return parts.isEmpty ? "no settings of its own" : parts.joined(separator: ", ")
    }

    /// The warning an epoch line carries when the collapse monitor is below its threshold, or the loss sits at the
    /// method's collapsed loss; empty otherwise.
    static func collapseWarning(_ report: EpochReport, _ trainer: Trainer) -> String {
        let monitor = trainer.collapseMonitor, value = report.embeddingStd
        if monitor.isCollapsing(value) {
            return String(format: "  WARNING: collapsing (embedding std %.4g < 0.1/√%d = %.4g)", value,
                          monitor.dimensions, monitor.threshold)
        }
        guard let collapsed = trainer.method.collapsedLoss, monitor.isStuck(loss: report.loss, at: collapsed.value)
        else { return "" }
        return String(format: "  WARNING: collapsed (loss %.4f at %.4f = ", report.loss, collapsed.value)
            + collapsed.meaning + ")"
    }

    /// "kNN top-1 … top-5 … | linear probe top-1 … top-5 …" for an evaluation.
    static func describe(_ evaluation: Evaluation, _ label: String) -> String {
        let knn = String(format: "  %@  kNN top-1 %.4f top-5 %.4f", label, evaluation.knn.top1, evaluation.knn.top5)
        let bank = evaluation.bankKNN.map {
            String(format: " | kNN from the bank top-1 %.4f top-5 %.4f", $0.top1, $0.top5)
        } ?? ""
        return knn + bank + (evaluation.linear.map {
            String(format: " | linear probe top-1 %.4f top-5 %.4f", $0.accuracy.top1, $0.accuracy.top5)
        } ?? "")
    }

    /// Trains the run in `directory` to its end. A run stopped by a signal keeps a checkpoint where it stopped; a
    /// fresh run that fails before it has checkpointed a step takes away what it made, so the same command can be
    /// given again; any other failure names the last good checkpoint.
    func train(_ trainer: Trainer, in directory: RunDirectory, _ stop: StopRequest, rows initialRows: [String],
               fresh: Bool) throws {
        let config = trainer.configuration
        let out = directory.path
        trainer.encoder.setConvAlgorithm(convAlgorithm)
        print("simile train: \(config.method) on \(trainer.trainSet.name), \(config.architecture), "
              + "\(config.epochs) epochs of "
              + "\(trainer.loader.sampler.batchesPerEpoch) steps, batch \(config.batchSize), on \(trainer.device)"
              + (trainer.parallel.map { parallel in
                  "; \(parallel.group.size) process\(parallel.group.size == 1 ? "" : "es") of "
                  + "\(config.batchSize / parallel.group.size) images each, "
                  + (parallel.gatherNegatives ? "negatives gathered" : "negatives per process") + ", batch norm "
                  + (parallel.syncBatchNorm ? "synchronised" : "per process")
              } ?? "")
              + (trainer.device.precision == .tf32 ? " in tf32 (tensor cores)" : ""))
        print(String(format: "%@ lr %g%@, momentum %g, weight decay %g, warm-up %d epochs, seed %llu",
                     config.optimizer.rawValue, config.learningRate,
                     config.lrScaling.map { " scaled \($0.rawValue)" } ?? "", config.momentum, config.weightDecay,
                     config.warmupEpochs, config.seed)
              + ", evaluated every \(config.evalEvery) and checkpointed every \(config.checkpointEvery) epochs")
        print("\(config.method): " + Self.methodSettings(trainer))
        let chains = trainer.loader.augmentations
        let source = "\(trainer.preset.rawValue)\(config.augmentation == nil ? "" : ", tuned")"
        if chains.allSatisfy({ $0 == chains[0] }) {
            print("augmentation (\(source)): \(chains[0])")
        } else {
            for (view, chain) in chains.enumerated() { print("augmentation of view \(view + 1) (\(source), \(config.method)'s): \(chain)") }
        }
        print("configuration: \(out)/config.json")
        fflush(stdout)
        var checkpointed = (epoch: trainer.epoch, step: trainer.step)
        let continueLine = "Continue with: simile train --resume \(out)"
        var initial: Evaluation?
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
            let trace = try stepTrace(trainer) { line.clear() }
            finished = try trainer.run(shouldStop: { stop.first != nil }, progress: line.update, trace: trace) { report in
                line.clear()
                let evaluated = report.epoch % config.evalEvery == 0 || report.epoch == config.epochs
                let evaluation = evaluated ? try trainer.evaluate() : nil
                let (knn, online) = (evaluation?.knn, evaluation?.onlineProbe)
                let knnText = knn.map { String(format: "  kNN top-1 %.4f  top-5 %.4f", $0.top1, $0.top5) } ?? ""
                let onlineText = online.map { String(format: "  online probe top-1 %.4f", $0.top1) } ?? ""
                print(String(format: "epoch %d/%d  loss %.4f  lr %.4g  std %.4f  %.0f img/s  %.0f s", report.epoch,
                             config.epochs, report.loss, report.learningRate, report.embeddingStd,
                             report.imagesPerSecond, report.seconds) + knnText + onlineText
                      + Self.collapseWarning(report, trainer))
                fflush(stdout)  // one line per epoch reaches a log file or a pipe as it happens
                let knnColumns = knn.map { String(format: "%.4f,%.4f", $0.top1, $0.top5) } ?? ","
                rows.append(String(format: "%d,%d,%.6f,%.6g,%.1f,", report.step, report.epoch, report.loss,
                                   report.learningRate, report.imagesPerSecond) + knnColumns
                            + String(format: ",%.2f,%.6f,", report.seconds, report.embeddingStd)
                            + (online.map { String(format: "%.4f", $0.top1) } ?? ""))
                try writeFileAtomically(Array((rows.joined(separator: "\n") + "\n").utf8), to: out + "/metrics.csv")
                if evaluated { try writePlot(rows, title: "\(config.method) on \(trainer.trainSet.name)", to: out) }
                if report.epoch % config.checkpointEvery == 0 {
                    try trainer.writeCheckpoint(to: out)
                    checkpointed = (trainer.epoch, trainer.step)
                }
            }
            line.clear()
            try trace?.complete()
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
