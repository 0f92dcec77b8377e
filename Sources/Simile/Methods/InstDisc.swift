/// InstDisc (Wu et al. 2018, "Unsupervised feature learning via non-parametric instance discrimination"): every
/// training image is its own class.
///
/// - augmentation: one view per image, the run's chain;
/// - encoder and representation: v = head(encoder(view)), a linear map to 128 features (`--head 128`), compared
///   L2-normalised;
/// - similarity: cosine with every row of a memory bank that holds one unit vector per training image, through a
///   temperature τ = 0.07;
/// - loss: the non-parametric softmax, −log P(i | v) = −v̂·m̂_i/τ + log Σ_j exp(v̂·m̂_j/τ) over the whole bank with the
///   image's own row m_i as its class (`bankSoftmaxLoss`, the fused bank sweep: no N × K logit matrix); or, with
///   `--loss nce`, the paper's NCE against 4096 bank rows drawn each step (`--negatives`), its normaliser Z estimated
///   from the batches of the first epoch and the next, then kept (`bankNCELoss`, `MemoryBank.loss`).
///
/// Its default lr is a tenth of the dataset's (`memoryBankLearningRateScale`: τ 0.07 makes its gradients seven times
/// SimCLR's). The bank (`MemoryBank`) starts as random unit rows and takes each image's v̂ after the optimiser step,
/// m_i ← normalise(0.5·m_i + 0.5·v̂). The full softmax is exact and sweeps the whole bank every step; NCE is the paper's
/// approximation for banks too large to sweep. The held-out report adds the paper's kNN from the bank
/// (`memoryBank`: a test image's head output against every bank row).
public final class InstDisc: SelfSupervisedMethod {
    public let head: Sequential
    public let temperature: Float
    public let memory: MemoryBank

    public static let entry = MethodEntry(
        name: "instdisc", summary: "InstDisc: each image a class, softmax over a memory bank",
        settings: [.head, .temperature, .loss, .negatives], losses: ["softmax", "nce"],
        defaults: { config, _ in
            config.head = [128]
            config.temperature = 0.07
            config.learningRate *= memoryBankLearningRateScale
        },
        views: { chain, _ in [chain] },
        make: { try InstDisc($0) })

    init(_ context: MethodContext) throws {
        let config = context.configuration
        try validateTemperature(config.temperature, name: "temperature")
        memory = try MemoryBank(context, width: config.head.last!, seed: config.seed &+ 5, method: "instdisc")
        head = try projectionHead(inputs: context.encoder.outputFeatures, widths: config.head, on: context.device,
                                  seed: config.seed &+ 1)
        temperature = config.temperature
    }

    public var name: String { "instdisc" }

    public var trainable: [(prefix: String, layer: any Layer)] { [("head", head)] }

    public func forwardBackward(_ batch: MethodBatch, encoder: any Layer, phases: StepPhaseObserver) throws -> MethodStep {
        let (features, encoderRecord) = try encoder.recordedForward(batch.views)
        let (v, headRecord) = try head.recordedForward(features)
        let rows = try memory.rows(of: batch.gather.images(batch.images))
        let all = try batch.gather.rows(v, views: 1)
        try phases.end(.forward)
        let result = try memory.loss(all, targets: rows, temperature: temperature, step: batch.step)
        try phases.end(.loss)
        _ = try encoderRecord.backward(headRecord.backward(batch.gather.localGradient(result.queryGradient, views: 1)))
        try phases.end(.backward)
        try memory.stage(all, at: rows)
        return MethodStep(loss: result.loss, features: features, embeddings: v)
    }

    public func afterStep(_ step: Int, of totalSteps: Int) throws { try memory.update() }

    public var state: [(name: String, value: StateValue)] { memory.state }

    public var memoryBank: (rows: Tensor, embed: (Tensor) throws -> Tensor)? { memory.evaluation(through: head) }
}
