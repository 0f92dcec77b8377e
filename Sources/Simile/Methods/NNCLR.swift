/// NNCLR (Dwibedi et al. 2021), as lightly's CIFAR-10 benchmark trains it:
///
/// - augmentation: SimCLR's chain for both views;
/// - encoder and representation: z = projector(encoder(view)) and a prediction p = predictor(z), both
///   `ProjectionHeadStyle.batchNorm` MLPs; each view's positive is not the other view's embedding but the nearest
///   neighbour NN(z) of its projection in a support queue of past projections (cosine);
/// - similarity: cosine, through a temperature τ (0.5 as lightly's NTXentLoss; the paper's ImageNet runs use 0.1);
/// - loss: ½(NT-Xent(NN(z₁), p₂) + NT-Xent(NN(z₂), p₁)) (`nearestNeighbourContrastiveLoss`: the search, the gather
///   and both terms without a host wait), with gradients only through p: no gradient reaches the queue.
///
/// The queue (`EmbeddingQueue`, lightly's NNMemoryBankModule) takes the second view's projections after the optimiser
/// step, so both views look their neighbours up in the queue as it was before the step.
public final class NNCLR: SelfSupervisedMethod {
    public let projector: Sequential
    public let predictor: Sequential
    public let temperature: Float
    /// The support set the neighbours come from.
    public let support: EmbeddingQueue
    /// This step's projections, whose second view `afterStep` enqueues.
    private var projections: Tensor?

    public static let entry = MethodEntry(
        name: "nnclr", summary: "NNCLR: positives are nearest neighbours from a support queue",
        settings: [.head, .temperature, .queueSize, .predictor],
        defaults: { config, spec in
            let small = config.model == .resnetSmall
            config.head = small ? [256, 64] : [512, 512, 128]
            config.predictor = small ? [256, 64] : [512, 128]
            // The paper's 98,304 for ImageNet; lightly's 4096 for CIFAR-size data; 512 for the 1,500 digits.
            if case .folder = spec { config.queueSize = 98304 } else { config.queueSize = spec == .digits ? 512 : 4096 }
        },
        make: { try NNCLR($0) })

    init(_ context: MethodContext) throws {
        let config = context.configuration
        guard let widths = config.predictor else { throw SimileError.invalidArgument("nnclr needs --predictor") }
        let size = try context.queueSize(method: "nnclr")
        try validateTemperature(config.temperature, name: "temperature")
        projector = try projectionHead(inputs: context.encoder.outputFeatures, widths: config.head, on: context.device,
                                       seed: config.seed &+ 1)
        predictor = try projectionHead(inputs: config.head.last!, widths: widths, on: context.device,
                                       seed: config.seed &+ 3)
        support = try EmbeddingQueue(size: size, width: config.head.last!, seed: config.seed &+ 5, on: context.device)
        temperature = config.temperature
    }

    public var name: String { "nnclr" }

    public var trainable: [(prefix: String, layer: any Layer)] { [("head", projector), ("predictor", predictor)] }

    public func forwardBackward(_ batch: MethodBatch, encoder: any Layer, phases: StepPhaseObserver) throws -> MethodStep {
        let (features, encoderRecord) = try encoder.recordedForward(batch.views)
        let (z, projectorRecord) = try projector.recordedForward(features)
        let (p, predictorRecord) = try predictor.recordedForward(z)
        try phases.end(.forward)
        let allProjections = try batch.gather.rows(z, views: 2)
        let result = try nearestNeighbourContrastiveLoss(projections: allProjections,
                                                         predictions: batch.gather.rows(p, views: 2),
                                                         support: support.rows, temperature: temperature)
        try phases.end(.loss)
        let dp = try batch.gather.localGradient(result.predictionGradient, views: 2)
        _ = try encoderRecord.backward(projectorRecord.backward(predictorRecord.backward(dp)))
        try phases.end(.backward)
        projections = allProjections
        return MethodStep(loss: result, features: features, embeddings: z)
    }

    public func afterStep(_ step: Int, of totalSteps: Int) throws {
        guard let projections else { return }
        self.projections = nil
        try support.enqueue(projections, rows: projections.shape[0] / 2..<projections.shape[0])
    }

    public var state: [(name: String, value: StateValue)] { support.state }

    public func loadState(_ tensors: [SafetensorsTensor], owner: String) throws {
        try support.load(tensors, owner: owner)
    }
}
