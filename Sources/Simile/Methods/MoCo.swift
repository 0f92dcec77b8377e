/// MoCo v2 (He et al. 2020; Chen et al. 2020, "Improved baselines"), as lightly's CIFAR-10 benchmark trains it:
///
/// - augmentation: SimCLR's chain for both views;
/// - encoder and representation: the query is head(encoder(view)), MoCo v2's MLP head (no batch norm); the key of
///   the same image's other view comes from the key encoder and key head, an EMA of the query's
///   (`MomentumTarget`, m = 0.99 by default, or a half cosine to `--ema-momentum-end`);
/// - similarity: cosine, through a temperature τ (0.1 for CIFAR-size images, 0.2 for ImageNet-size);
/// - loss: InfoNCE of each query against its key and the K keys of a FIFO queue (`infoNCELoss`, the fused bank
///   kernel), symmetric: both views are queries, the mean over the 2B rows is ½(L(q1, k2) + L(q2, k1)).
///
/// The keys of both views are enqueued once, after the optimiser step (`EmbeddingQueue`), so that no query meets its
/// own key among the negatives. No gradient reaches the key networks or the queue.
/// The key encoder normalises with its own batch statistics over the whole batch of views (Shuffle-BN is not
/// implemented: with one device and both views in one batch, the statistics cannot leak between a query and its key
/// the way per-GPU batches of one view do).
public final class MoCo: SelfSupervisedMethod {
    public let head: Sequential
    public let temperature: Float
    /// The K negative keys.
    public let queue: EmbeddingQueue
    let target: MomentumTarget
    private let encoder: any ImageEncoder
    /// This step's keys, enqueued by `afterStep`.
    private var keys: Tensor?

    public static let entry = MethodEntry(
        name: "moco", summary: "MoCo v2: EMA key encoder, queue of keys, symmetric InfoNCE",
        settings: [.head, .temperature, .emaMomentum, .emaMomentumEnd, .queueSize],
        defaults: { config, spec in
            // MoCo v2's 65536 keys for ImageNet-size photos (a folder); 4096 (lightly's CIFAR-10 benchmark) for
            // CIFAR-size data and STL-10's 5,000 labelled images; 512 for the 1,500 digits.
            config.temperature = spec.imageNetSize ? 0.2 : 0.1
            if case .folder = spec { config.queueSize = 65536 } else { config.queueSize = spec == .digits ? 512 : 4096 }
            (config.emaMomentum, config.emaMomentumEnd) = (0.99, 0.99)
        },
        make: { try MoCo($0) })

    init(_ context: MethodContext) throws {
        let config = context.configuration
        guard let start = config.emaMomentum, let end = config.emaMomentumEnd else {
            throw SimileError.invalidArgument("moco needs --ema-momentum")
        }
        let size = try context.queueSize(method: "moco")
        try validateTemperature(config.temperature, name: "temperature")
        encoder = context.encoder
        head = try projectionHead(inputs: encoder.outputFeatures, widths: config.head, style: .plain,
                                  on: context.device, seed: config.seed &+ 1)
        target = try MomentumTarget(encoder: encoder, head: head, names: ("key_encoder", "key_head"), start: start,
                                    end: end)
        temperature = config.temperature
        queue = try EmbeddingQueue(size: size, width: config.head.last!, seed: config.seed &+ 3, on: context.device)
    }

    public var name: String { "moco" }

    public var trainable: [(prefix: String, layer: any Layer)] { [("head", head)] }

    public func forwardBackward(_ batch: MethodBatch, encoder: any Layer, phases: StepPhaseObserver) throws -> MethodStep {
        let (features, encoderRecord) = try encoder.recordedForward(batch.views)
        let (q, headRecord) = try head.recordedForward(features)
        let k = try target.forward(batch.views)
        try phases.end(.forward)
        let allKeys = try batch.gather.rows(k, views: 2)
        let result = try infoNCELoss(queries: batch.gather.rows(q, views: 2), keys: swappingHalves(allKeys),
                                     bank: queue.rows, temperature: temperature)
        try phases.end(.loss)
        _ = try encoderRecord.backward(headRecord.backward(batch.gather.localGradient(result.queryGradient, views: 2)))
        try phases.end(.backward)
        keys = allKeys
        return MethodStep(loss: result, features: features, embeddings: q)
    }

    public func afterStep(_ step: Int, of totalSteps: Int) throws {
        try target.update(toward: encoder, head, after: step, of: totalSteps)
        guard let keys else { return }
        self.keys = nil
        try queue.enqueue(keys)
    }

    public var state: [(name: String, value: StateValue)] { target.state + queue.state }

    public func loadState(_ tensors: [SafetensorsTensor], owner: String) throws {
        try target.load(tensors, owner: owner)
        try queue.load(tensors.filter { !$0.name.hasPrefix("key_encoder.") && !$0.name.hasPrefix("key_head.") },
                       owner: owner)
    }
}
