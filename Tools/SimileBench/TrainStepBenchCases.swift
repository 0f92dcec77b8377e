import Foundation
import Simile

extension BenchKernel {
    /// SimCLR's training step as `simile train` takes it, for ResNet-18 with the CIFAR stem and SimCLR's head
    /// (512,128), NT-Xent at τ 0.5 and SGD with momentum and weight decay, on n synthetic 32×32 RGB images, so 2n
    /// views (`--size` is n). Three cases from one trainer:
    /// - `train-step`: the whole step, its batch made ahead by the loader's workers as in training; items are images.
    /// - `train-step-phases`: the same step with the device waited for after each phase (data, forward, loss,
    ///   backward, optimiser); the median time of each is printed under its line. Their sum exceeds the whole step
    ///   by the overlap the waits remove and by the data, which training makes ahead.
    /// - `train-step-encoder`: the encoder's forward and backward of the same 2n views alone: the bar the whole step
    ///   is held to (within 10%), compared in the last lines of the report (`trainStepShare`).
    /// FLOPs are the encoder's (6 multiply-adds' worth per view, as `resnet18-cifar` counts them).
    /// Each of `methods` other than SimCLR adds its whole step, `train-step[NAME]`, with its own CIFAR-size defaults
    /// (MoCo's queue of 4096 keys, BYOL's and SimSiam's predictors), to be read against SimCLR's in the same run; a
    /// name of `trainStepVariants` is its method with that setting.
    func trainStepCases(images n: Int, methods: [String], on device: Device) throws -> [BenchCase] {
        var generator = SeededGenerator(seed: 5)
        // At least MoCo's queue of images, which may not outgrow the training set.
        let count = max(4 * n, 4096)
        let images = (0..<count * 3 * 32 * 32).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let synthetic = try Dataset(name: "synthetic 32×32 RGB", images: images, channels: 3, height: 32, width: 32)
        let (size, flops) = ("batch=\(n)", 6 * Double(2 * n) * Double(cifarResNet18MultiplyAdds))
        func makeTrainer(_ name: String) throws -> Trainer {
            let (method, change) = BenchKernel.trainStepVariants[name] ?? (name, { _ in })
            var configuration = try TrainingConfiguration.defaults(for: "cifar10:synthetic", method: method)
            (configuration.batchSize, configuration.epochs) = (n, 1000)
            change(&configuration)
            return try Trainer(configuration, trainSet: synthetic, testSet: nil, on: device)
        }
        /// The whole step of `trainer`, its batches made ahead by the loader's workers as in training.
        func wholeStep(_ kernel: String, _ trainer: Trainer) -> BenchCase {
            let stream = BatchStream(trainer.loader)
            return BenchCase(kernel: kernel, size: size, flops: flops, bytes: 0, extraBytes: 0, items: n) {
                _ = try trainer.trainStep(stream.next())
            }
        }
        let trainer = try makeTrainer("simclr")
        let whole = wholeStep("train-step", trainer)

        let clock = PhaseClock(device)
        var phases = BenchCase(kernel: "train-step-phases", size: size, flops: flops, bytes: 0, extraBytes: 0, items: n) {
            clock.start()
            let batch = try trainer.loader.batch(epoch: 0, indices: Array(0..<n))
            try clock.end(.data)
            _ = try trainer.trainStep(batch, phases: StepPhaseObserver(clock.end))
        }
        phases.note = clock.summary

        let views = try trainer.loader.batch(epoch: 0, indices: Array(0..<n)).views
        let encoder = try forwardBackwardCase(kernel: "train-step-encoder", of: trainer.encoder, on: views)
        let others = try methods.filter { $0 != "simclr" }.map { wholeStep("train-step[\($0)]", try makeTrainer($0)) }
        return [whole, phases, encoder] + others
    }
}

extension BenchKernel {
    /// `--method` names for a method with a setting of its own: NCE for InstDisc and PIRL (4096 rows), and SwAV's
    /// multi-crop (its two 32×32 crops and 6 of 16×16, the paper's ImageNet count at half the side).
    static let trainStepVariants: [String: (method: String, change: @Sendable (inout TrainingConfiguration) -> Void)] = [
        "instdisc+nce": ("instdisc", { $0.nce = NCESettings() }),
        "pirl+nce": ("pirl", { $0.nce = NCESettings() }),
        "swav+multi-crop": ("swav", { $0.multiCrop = MultiCrop(count: 6, size: 16) }),
    ]
}

/// The time of each phase of the steps it watches: the device is waited for at the end of each phase, then the
/// clock read.
private final class PhaseClock {
    private let device: Device
    private var last: UInt64 = 0
    private var seconds: [StepPhase: [Double]] = [:]

    init(_ device: Device) { self.device = device }

    func start() { last = DispatchTime.now().uptimeNanoseconds }

    func end(_ phase: StepPhase) throws {
        try device.synchronize()
        let now = DispatchTime.now().uptimeNanoseconds
        seconds[phase, default: []].append(Double(now - last) * 1e-9)
        last = now
    }

    /// "phases (median ms, share): data 30.1 (0.2%), forward …" over every step watched, warm-up included.
    func summary() -> String {
        let medians = StepPhase.allCases.map { (phase: $0, ms: median(seconds[$0] ?? []) * 1e3) }
        let total = medians.reduce(0) { $0 + $1.ms }
        return "  phases (median ms, share of their sum \(String(format: "%.1f", total)) ms): "
            + medians.map { String(format: "%@ %.1f (%.1f%%)", $0.phase.rawValue, $0.ms, 100 * $0.ms / total) }
                .joined(separator: ", ")
    }
}

/// One line per device where both were measured: the whole step's median time against the encoder's forward and
/// backward alone on the same views (issue 12's target: at most 1.10); then each other method's step against
/// SimCLR's (issue 22's targets: MoCo and BYOL at most 1.40×, SimSiam 1.05×), with the peak memory of each.
func trainStepShare(_ records: [BenchRecord]) -> [String] {
    Dictionary(grouping: records, by: \.device).sorted { $0.key < $1.key }.flatMap { device, records -> [String] in
        guard let step = records.first(where: { $0.kernel == "train-step" }),
              let encoder = records.first(where: { $0.kernel == "train-step-encoder" }) else { return [] }
        func memory(_ record: BenchRecord) -> String {
            (record.peakDeviceBytes ?? record.peakResidentBytes).map(formatBytes) ?? "?"
        }
        let share = String(format: "%@: the whole SimCLR step (%@, %.1f img/s) takes %.3f× the encoder's forward + "
                           + "backward alone (%.0f ms against %.0f ms), same run", device, step.size,
                           step.itemsPerSecond ?? 0, step.medianMs / encoder.medianMs, step.medianMs, encoder.medianMs)
        let methods = records.filter { $0.kernel.hasPrefix("train-step[") }.map { other in
            String(format: "%@: %@ takes %.3f× SimCLR's step (%.0f ms against %.0f ms); peak memory %@ against %@",
                   device, other.kernel, other.medianMs / step.medianMs, other.medianMs, step.medianMs, memory(other),
                   memory(step))
        }
        return [share] + methods
    }
}

/// A loader's batches in order, epoch after epoch, made ahead by its workers as in training: one per `next()`.
final class BatchStream {
    private let loader: DataLoader
    private var epoch = 0
    private var batches: EpochBatches

    init(_ loader: DataLoader) {
        self.loader = loader
        batches = loader.epoch(0)
    }

    func next() throws -> LoadedBatch {
        if let batch = try batches.next() { return batch }
        epoch += 1
        batches = loader.epoch(epoch)
        guard let batch = try batches.next() else {
            throw SimileError.invalidArgument("the loader made no batch in epoch \(epoch)")
        }
        return batch
    }
}
