/// What a method is built from: the run's configuration (its seed seeds the method's networks and state), the
/// encoder it trains (already made, so that a method with a target network clones it) and the size of the
/// training set (a queue may not outgrow it).
public struct MethodContext {
    public let configuration: TrainingConfiguration
    public let encoder: any ImageEncoder
    /// The augmentation chain of each view the loader makes (`MethodEntry.views` of the run's chain).
    public let views: [AugmentationConfig]
    public let trainingImages: Int
    /// Optimiser steps in one epoch (SwAV freezes its prototypes for the first).
    public let stepsPerEpoch: Int

    public var device: Device { encoder.device }
}

/// A setting that only some methods read. A configuration that sets one its method does not read is refused, so
/// that `--queue-size 4096 --method byol` is an error instead of a silent no-op.
public enum MethodSetting: String, CaseIterable, Sendable {
    case head, temperature, sigma, emaMomentum, emaMomentumEnd, queueSize, predictor, prototypes, loss, margin, mining
    case negatives, multiCrop, swavQueue

    /// The command-line flag that sets it.
    public var flag: String {
        switch self {
        case .head: return "--head"
        case .temperature: return "--temperature"
        case .sigma: return "--sigma"
        case .emaMomentum: return "--ema-momentum"
        case .emaMomentumEnd: return "--ema-momentum-end"
        case .queueSize: return "--queue-size"
        case .predictor: return "--predictor"
        case .prototypes: return "--prototypes"
        case .loss: return "--loss"
        case .margin: return "--margin"
        case .mining: return "--mining"
        case .negatives: return "--negatives"
        case .multiCrop: return "--multi-crop"
        case .swavQueue: return "--swav-queue"
        }
    }
}

/// One registered method: its name on the command line and in checkpoints, a line for `--help`, the settings it
/// reads, its table of defaults, the augmentation chain of each view, and how it builds itself.
public struct MethodEntry: Sendable {
    public let name: String
    /// "MoCo v2: momentum key encoder, queue of keys, InfoNCE".
    public let summary: String
    public let settings: Set<MethodSetting>
    /// The losses `--loss` chooses among, the first the default; empty for a method with one loss.
    public let losses: [String]
    /// Writes the method's own defaults into a dataset's (head widths, τ, queue, momentum, optimiser, lr).
    let defaults: @Sendable (inout TrainingConfiguration, DatasetSpec) -> Void
    /// The chains of the views, from the run's augmentation and configuration (two of the run's chain unless the
    /// method says).
    let views: @Sendable (AugmentationConfig, TrainingConfiguration) -> [AugmentationConfig]
    /// Builds the method for a run.
    let make: @Sendable (MethodContext) throws -> any SelfSupervisedMethod

    init(name: String, summary: String, settings: Set<MethodSetting>, losses: [String] = [],
         defaults: @escaping @Sendable (inout TrainingConfiguration, DatasetSpec) -> Void,
         views: @escaping @Sendable (AugmentationConfig, TrainingConfiguration) -> [AugmentationConfig] = { chain, _ in
             [chain, chain]
         },
         make: @escaping @Sendable (MethodContext) throws -> any SelfSupervisedMethod) {
        (self.name, self.summary, self.settings, self.losses) = (name, summary, settings, losses)
        (self.defaults, self.views, self.make) = (defaults, views, make)
    }

    /// Refuses a setting the method does not read, and one it reads but lacks or cannot use.
    func validate(_ config: TrainingConfiguration) throws {
        func fail(_ message: String) -> SimileError { .invalidArgument(message) }
        let given: [(MethodSetting, Bool)] = [(.emaMomentum, config.emaMomentum != nil),
                                              (.emaMomentumEnd, config.emaMomentumEnd != nil),
                                              (.queueSize, config.queueSize != nil), (.predictor, config.predictor != nil),
                                              (.prototypes, config.prototypes != nil)]
        for (setting, isSet) in given {
            if isSet, !settings.contains(setting) { throw fail("\(setting.flag) is not a setting of \(name)") }
            if !isSet, settings.contains(setting) { throw fail("\(name) needs \(setting.flag)") }
        }
        // Settings a method that reads them may go without (`--loss triplet` sets the triplet loss's, `--loss nce`
        // NCE's).
        let optional: [(MethodSetting, Bool)] = [(.loss, config.triplet != nil || config.nce != nil),
                                                 (.margin, config.triplet != nil), (.negatives, config.nce != nil),
                                                 (.multiCrop, config.multiCrop != nil), (.swavQueue, config.swavQueue != nil)]
        for (setting, isSet) in optional where isSet && !settings.contains(setting) {
            throw fail("\(setting.flag) is not a setting of \(name)")
        }
        if let triplet = config.triplet, !(triplet.margin.isFinite && triplet.margin >= 0) {
            throw fail("--margin must be finite and ≥ 0, got \(triplet.margin)")
        }
        if let nce = config.nce, !(1...NCESettings.largestNegatives).contains(nce.negatives) {
            throw fail("--negatives must be in 1...\(NCESettings.largestNegatives), got \(nce.negatives)")
        }
        if let crops = config.multiCrop {
            guard crops.count >= 1, crops.size >= 1 else {
                throw fail("--multi-crop needs at least 1 crop of at least 1 pixel, got \(crops.count) of \(crops.size)")
            }
            // Each crop is a view of every image of the batch; SwAV takes 6 (ImageNet) to 10.
            guard crops.count <= MultiCrop.largestCount else {
                throw fail("--multi-crop takes at most \(MultiCrop.largestCount) small crops per image, got \(crops.count)")
            }
        }
        // A batch below 1 is the configuration's own error, reported after this.
        if let queue = config.swavQueue, config.batchSize >= 1 {
            guard queue.length >= 1, queue.length % config.batchSize == 0, queue.startEpoch >= 0 else {
                throw fail("--swav-queue needs a length that is a positive multiple of the batch (\(config.batchSize)) "
                           + "and a start epoch ≥ 0, got \(queue.length) and \(queue.startEpoch)")
            }
        }
        if let start = config.emaMomentum, let end = config.emaMomentumEnd {
            guard start >= 0, start <= 1 else { throw fail("--ema-momentum must be in [0, 1], got \(start)") }
            guard end >= start, end <= 1 else {
                throw fail("--ema-momentum-end must be in [--ema-momentum, 1] = [\(start), 1], got \(end)")
            }
        }
        if let size = config.queueSize, size < 1 { throw fail("--queue-size must be ≥ 1, got \(size)") }
        if let count = config.prototypes, count < 1 { throw fail("--prototypes must be ≥ 1, got \(count)") }
        if let widths = config.predictor {
            guard !widths.isEmpty, widths.allSatisfy({ $0 >= 1 }) else { throw fail("--predictor widths must be ≥ 1, got \(widths)") }
            // The prediction is compared with a projection: the two must have one width.
            guard widths.last == config.head.last else {
                throw fail("--predictor must end in the projection's width \(config.head.last ?? 0) (--head's last), "
                           + "got \(widths)")
            }
        }
    }
}

/// Every method `simile train --method` knows, in the order `--help` lists them. A method is one file in
/// `Methods/` that declares its entry; this list is the only place that names them all, and the trainer knows
/// only `SelfSupervisedMethod`.
public enum MethodRegistry {
    public static let entries: [MethodEntry] = SimCLR.entries + [MoCo.entry, BYOL.entry, SimSiam.entry, NNCLR.entry,
                                                                 InstDisc.entry, SwAV.entry, PIRL.entry, YADIM.entry]

    public static var names: [String] { entries.map(\.name) }

    /// The entry of `name`; an unknown name is one error listing the known ones.
    public static func entry(named name: String) throws -> MethodEntry {
        guard let entry = entries.first(where: { $0.name == name }) else {
            throw SimileError.invalidArgument("--method must be one of \(names.joined(separator: ", ")), got '\(name)'")
        }
        return entry
    }
}
