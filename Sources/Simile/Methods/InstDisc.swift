/// InstDisc (Wu et al. 2018, "Unsupervised feature learning via non-parametric instance discrimination"): every
/// training image is its own class.
///
/// - augmentation: one view per image, the run's chain;
/// - encoder and representation: v = head(encoder(view)), a linear map to 128 features (`--head 128`), compared
///   L2-normalised;
/// - similarity: cosine with every row of a memory bank that holds one unit vector per training image, through a
///   temperature τ = 0.07;
/// - loss: the non-parametric softmax, −log P(i | v) = −v̂·m̂_i/τ + log Σ_j exp(v̂·m̂_j/τ) over the whole bank with the
///   image's own row m_i as its class (`bankSoftmaxLoss`, the fused bank sweep: no N × K logit matrix).
///
/// The bank starts as random unit rows and takes each image's v̂ after the optimiser step, m_i ← normalise(0.5·m_i +
/// 0.5·v̂) (`momentumUpdateRows`, the update of the paper's code), at the rows the batch names on the device. No
/// gradient reaches it. The full softmax is exact and sweeps the whole bank every step; the paper's NCE approximation
/// with sampled negatives, for banks too large to sweep each step, is not built.
public final class InstDisc: SelfSupervisedMethod {
    public let head: Sequential
    public let temperature: Float
    /// The memory bank [training images, d] of unit rows.
    public let bank: Tensor
    /// The bank momentum μ of m ← normalise(μ·m + (1 − μ)·v̂).
    public static let bankMomentum: Float = 0.5
    /// This step's unit embeddings and the bank rows they update.
    private var pending: (embeddings: Tensor, rows: RowIndices)?

    public static let entry = MethodEntry(
        name: "instdisc", summary: "InstDisc: each image a class, softmax over a memory bank",
        settings: [.temperature],
        defaults: { config, _ in
            config.head = [128]
            config.temperature = 0.07
        },
        views: { [$0] },
        make: { try InstDisc($0) })

    init(_ context: MethodContext) throws {
        let config = context.configuration
        try validateTemperature(config.temperature, name: "temperature")
        guard context.trainingImages <= RowIndices.largestBank else {
            throw SimileError.invalidArgument("instdisc keeps a bank row per training image: at most "
                                              + "\(RowIndices.largestBank) images, got \(context.trainingImages)")
        }
        head = try projectionHead(inputs: context.encoder.outputFeatures, widths: config.head, on: context.device,
                                  seed: config.seed &+ 1)
        bank = try l2Normalize(Tensor.normal([context.trainingImages, config.head.last!], seed: config.seed &+ 5,
                                             on: context.device)).y
        temperature = config.temperature
    }

    public var name: String { "instdisc" }

    public var trainable: [(prefix: String, layer: any Layer)] { [("head", head)] }

    public func forwardBackward(_ batch: MethodBatch, encoder: any Layer, phases: StepPhaseObserver) throws -> MethodStep {
        let (features, encoderRecord) = try encoder.recordedForward(batch.views)
        let (v, headRecord) = try head.recordedForward(features)
        let rows = try RowIndices(batch.images, rows: bank.shape[0], on: bank.device)
        try phases.end(.forward)
        let result = try bankSoftmaxLoss(queries: v, bank: bank, targets: rows, temperature: temperature)
        try phases.end(.loss)
        _ = try encoderRecord.backward(headRecord.backward(result.queryGradient))
        try phases.end(.backward)
        pending = (try l2Normalize(v).y, rows)
        return MethodStep(loss: result, features: features, embeddings: v)
    }

    public func afterStep(_ step: Int, of totalSteps: Int) throws {
        guard let (embeddings, rows) = pending else { return }
        pending = nil
        try momentumUpdateRows(bank, rows, values: embeddings, momentum: Self.bankMomentum)
    }

    public var state: [(name: String, value: StateValue)] { [("bank", .tensor(bank))] }
}
