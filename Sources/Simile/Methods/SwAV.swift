import Foundation

/// SwAV (Caron et al. 2020), as lightly's CIFAR-10 benchmark trains it, with two views of the training size and, with
/// `--multi-crop N,SIZE`, the paper's multi-crop:
///
/// - augmentation: SimCLR's chain for both views; with multi-crop, the two large crops take 14–100% of the image and
///   N small crops of SIZE × SIZE pixels 5–14% (the paper's scales), the rest of the chain the same (a blur's kernel
///   resized to the small side);
/// - encoder and representation: the encoder runs once per crop size (the loader batches views per size; global
///   pooling makes the features of every size alike) and the features of all crops are stacked for the projector,
///   as the paper's code does; z = normalise(projector(features)), the projector a `.batchNorm` MLP; its
///   scores against K prototypes, the rows of a bias-free linear layer renormalised to unit length before every
///   forward pass (`--prototypes`: lightly's 512 for CIFAR-size data, the paper's 3000 for ImageNet-size folders);
/// - similarity: cosine between an embedding and each prototype;
/// - loss: swapped prediction: each large crop's codes (Sinkhorn–Knopp, 3 rounds at ε = 0.05, on that crop's batch,
///   no gradient) are the soft targets of every other crop's softmax over the prototypes at τ = 0.1
///   (`swappedPredictionLoss`).
///
/// The prototypes take no step in the first epoch (their gradient is dropped, as lightly's
/// `n_steps_frozen_prototypes` of one epoch), so that the codes settle before the clusters move. With
/// `--swav-queue LENGTH,EPOCH`, each large crop keeps a queue of its past LENGTH unit embeddings (a multiple of the
/// batch), filled after every step from epoch EPOCH on and used once full: its scores against the current prototypes
/// join the crop's batch in Sinkhorn (the paper's queue, for batches too small to spread the codes evenly); the
/// queues and their fill are in the checkpoint. A run whose loss sits at ln K is named in the collapse warning
/// (`collapsedLoss`).
public final class SwAV: SelfSupervisedMethod {
    public let projector: Sequential
    /// The prototypes C [K, d] as a linear layer: scores = z Cᵀ.
    public let prototypes: Linear
    public let temperature: Float
    /// Steps of the first epoch, during which the prototypes are frozen.
    let frozenSteps: Int
    /// The queues of past embeddings, one per large crop, and the first step that fills them (nil: no queue).
    public let queue: (crops: [EmbeddingQueue], startStep: Int)?
    /// Rows each queue has taken since it started, up to its length; the queues are used once full.
    public private(set) var queued = 0
    /// This step's unit embeddings of each large crop, for `afterStep` to enqueue.
    private var pending: [Tensor] = []

    public static let entry = MethodEntry(
        name: "swav", summary: "SwAV: views predict each other's Sinkhorn codes",
        settings: [.head, .temperature, .prototypes, .multiCrop, .swavQueue],
        defaults: { config, spec in
            config.head = config.model == .resnetSmall ? [128, 64] : [512, 128]
            config.temperature = 0.1
            if case .folder = spec { config.prototypes = 3000 } else { config.prototypes = spec == .digits ? 64 : 512 }
        },
        views: { chain, config in
            guard let crops = config.multiCrop else { return [chain, chain] }
            var (large, small) = (chain, chain)
            large.crop?.scale = Interval(0.14, 1)
            small.crop?.scale = Interval(0.05, 0.14)
            (small.outputHeight, small.outputWidth) = (crops.size, crops.size)
            small.blur?.kernelSize = AugmentationConfig.Blur.kernelSize(forSide: crops.size)
            return [large, large] + Array(repeating: small, count: crops.count)
        },
        make: { try SwAV($0) })

    init(_ context: MethodContext) throws {
        let config = context.configuration
        guard let count = config.prototypes else { throw SimileError.invalidArgument("swav needs --prototypes") }
        try validateTemperature(config.temperature, name: "temperature")
        projector = try projectionHead(inputs: context.encoder.outputFeatures, widths: config.head, on: context.device,
                                       seed: config.seed &+ 1)
        var generator = SeededGenerator(seed: config.seed &+ 3)
        prototypes = try Linear(config.head.last!, count, bias: false, on: context.device, generator: &generator)
        temperature = config.temperature
        frozenSteps = context.stepsPerEpoch
        queue = try config.swavQueue.map { settings in
            let crops = try (0..<2).map {
                try EmbeddingQueue(size: settings.length, width: config.head.last!, seed: config.seed &+ 8 &+ UInt64($0),
                                   on: context.device, name: "queue_\($0)")
            }
            return (crops, settings.startEpoch * context.stepsPerEpoch)
        }
    }

    public var name: String { "swav" }

    public var trainable: [(prefix: String, layer: any Layer)] { [("head", projector), ("prototypes", prototypes)] }

    /// Predictions uniform over the K prototypes give every soft target the same cross-entropy, ln K, however the
    /// codes spread.
    public var collapsedLoss: (value: Float, meaning: String)? {
        let k = prototypes.weight.value.shape[0]
        return (Float(log(Double(k))), "ln \(k): predictions uniform over the prototypes")
    }

    public func forwardBackward(_ batch: MethodBatch, encoder: any Layer, phases: StepPhaseObserver) throws -> MethodStep {
        try copy(l2Normalize(prototypes.weight.value).y, into: prototypes.weight.value)
        let sizes = try ([batch.views] + batch.otherSizes).map { try encoder.recordedForward($0) }
        let features = try sizes.count == 1 ? sizes[0].output : stackingRows(sizes.map(\.output))
        let (h, projectorRecord) = try projector.recordedForward(features)
        let (z, norms) = try l2Normalize(h)
        let (scores, prototypeRecord) = try prototypes.recordedForward(z)
        try phases.end(.forward)
        // The queues' scores against the current prototypes, once the queues are full.
        let queuedScores = try queue.flatMap { queue in
            queued == queue.crops[0].rows.shape[0] ? try queue.crops.map { try prototypes.forward($0.rows) } : nil
        } ?? []
        let views = features.shape[0] / batch.images.count
        let result = try swappedPredictionLoss(scores: batch.gather.rows(scores, views: views), views: views,
                                               queued: queuedScores, temperature: temperature)
        if let queue, batch.step >= queue.startStep {
            let large = try batch.gather.rows(rowBlock(z, 0 ..< 2 * batch.images.count), views: 2)
            let b = large.shape[0] / 2
            pending = try (0..<2).map { try rowBlock(large, $0 * b ..< ($0 + 1) * b) }
        }
        try phases.end(.loss)
        let dz = try prototypeRecord.backward(batch.gather.localGradient(result.logitGradient, views: views))
        let dFeatures = try projectorRecord.backward(l2NormalizeBackward(y: z, norms: norms, gradient: dz))
        var row = 0
        for (y, record) in sizes {
            _ = try record.backward(sizes.count == 1 ? dFeatures : rowBlock(dFeatures, row ..< row + y.shape[0]))
            row += y.shape[0]
        }
        if batch.step < frozenSteps { prototypes.zeroGradients() }
        try phases.end(.backward)
        return MethodStep(loss: result, features: features, embeddings: h)
    }

    public func afterStep(_ step: Int, of totalSteps: Int) throws {
        guard let queue, !pending.isEmpty else { return }
        for (crop, rows) in zip(queue.crops, pending) { try crop.enqueue(rows) }
        queued = min(queued + pending[0].shape[0], queue.crops[0].rows.shape[0])
        pending = []
    }

    public var state: [(name: String, value: StateValue)] {
        guard let queue else { return [] }
        return queue.crops.flatMap(\.state) + [("queued", .count(Int64(queued)))]
    }

    public func loadState(_ tensors: [SafetensorsTensor], owner: String) throws {
        guard let queue else {
            return try Simile.loadState(tensors, into: [], strict: true, for: owner) { _, _ in }
        }
        let length = queue.crops[0].rows.shape[0]
        guard let entry = tensors.first(where: { $0.name == "queued" }), case let .int64(values) = entry.data,
              values.count == 1, (0...Int64(length)).contains(values[0]) else {
            throw SimileError.invalidArgument("\(owner): the checkpoint has no valid queued (an int64 scalar in "
                                              + "0...\(length))")
        }
        for crop in queue.crops {
            try crop.load(tensors.filter { $0.name == crop.name || $0.name == crop.name + "_pointer" }, owner: owner)
        }
        try Simile.loadState(tensors.filter { !$0.name.hasPrefix("queue_") }, into: [("queued", .count(0))],
                             strict: true, for: owner) { _, value in queued = Int(value) }
    }
}
