/// SimSiam (Chen & He 2021), as lightly's CIFAR-10 benchmark trains it:
///
/// - augmentation: SimCLR's chain for both views;
/// - encoder and representation: one encoder, a 3-layer projector with batch norm after every layer (the last
///   without affine parameters, `ProjectionHeadStyle.normalizedOutput`) and a bottleneck predictor;
/// - similarity: cosine between the prediction of one view and the projection of the other;
/// - loss: −cos(p, stopgrad(z′)) symmetrised over the two views (`negativeCosineLoss`, fused with its gradient):
///   the stop-gradient alone keeps it from collapsing, so no target network is kept.
///
/// The predictor trains at the base learning rate without the schedule (SimSiam's "fix lr" for the predictor), and
/// the learning rate scales linearly with the batch: 0.05 × B/256.
public final class SimSiam: SelfSupervisedMethod {
    public let projector: Sequential
    public let predictor: Sequential

    public static let entry = MethodEntry(
        name: "simsiam", summary: "SimSiam: a predictor against a stop-gradient projection",
        settings: [.head, .predictor],
        defaults: { config, _ in
            let small = config.model == .resnetSmall
            config.head = small ? [256, 256, 256] : [2048, 2048, 2048]
            config.predictor = small ? [64, 256] : [512, 2048]
            (config.learningRate, config.lrScaling) = (0.05, .linear)
        },
        make: { try SimSiam($0) })

    init(_ context: MethodContext) throws {
        let config = context.configuration
        guard let widths = config.predictor else { throw SimileError.invalidArgument("simsiam needs --predictor") }
        projector = try projectionHead(inputs: context.encoder.outputFeatures, widths: config.head,
                                       style: .normalizedOutput, on: context.device, seed: config.seed &+ 1)
        predictor = try projectionHead(inputs: config.head.last!, widths: widths, on: context.device,
                                       seed: config.seed &+ 3)
    }

    public var name: String { "simsiam" }

    public var trainable: [(prefix: String, layer: any Layer)] { [("head", projector), ("predictor", predictor)] }

    public var fixedLearningRate: [String] { ["predictor"] }

    public func forwardBackward(_ batch: MethodBatch, encoder: any Layer, phases: StepPhaseObserver) throws -> MethodStep {
        try predictorStep(batch, encoder: encoder, projector: projector, predictor: predictor, form: .negativeCosine,
                          phases: phases, targets: { $0 })
    }
}
