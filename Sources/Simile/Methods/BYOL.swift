/// BYOL (Grill et al. 2020), as lightly's CIFAR-10 benchmark trains it:
///
/// - augmentation: BYOL's asymmetric chains, from the run's: the first view always blurred and never solarized,
///   the second blurred with p 0.1 and solarized with p 0.2 (where the data set's chain has a blur at all);
/// - encoder and representation: the online network is projector(encoder(view)) followed by a predictor, both
///   `ProjectionHeadStyle.batchNorm` MLPs; the target network is an EMA of the encoder and projector
///   (`MomentumTarget`) whose momentum follows BYOL's half cosine from 0.99 to 1 over the run's optimiser steps;
/// - similarity: cosine between the online prediction of one view and the target projection of the other;
/// - loss: 2 − 2·cos(p, stopgrad(z′)) symmetrised over the two views (`negativeCosineLoss`, form `.byol`, fused
///   with its gradient). No negatives: the predictor and the slowly moving target keep it from collapsing.
///
/// The target's batch norm runs in training mode on its own batch statistics (DeepMind's implementation).
public final class BYOL: SelfSupervisedMethod {
    public let projector: Sequential
    public let predictor: Sequential
    let target: MomentumTarget
    private let encoder: any ImageEncoder

    public static let entry = MethodEntry(
        name: "byol", summary: "BYOL: a predictor regresses an EMA target's projection",
        settings: [.head, .emaMomentum, .emaMomentumEnd, .predictor],
        defaults: { config, _ in
            let small = config.model == .resnetSmall
            config.head = small ? [256, 64] : [1024, 256]
            config.predictor = small ? [256, 64] : [1024, 256]
            (config.emaMomentum, config.emaMomentumEnd) = (0.99, 1)
        },
        views: { base, _ in
            [base.with(blurProbability: 1, solarizeProbability: 0), base.with(blurProbability: 0.1, solarizeProbability: 0.2)]
        },
        make: { try BYOL($0) })

    init(_ context: MethodContext) throws {
        let config = context.configuration
        guard let widths = config.predictor, let start = config.emaMomentum, let end = config.emaMomentumEnd else {
            throw SimileError.invalidArgument("byol needs --predictor and --ema-momentum")
        }
        encoder = context.encoder
        projector = try projectionHead(inputs: encoder.outputFeatures, widths: config.head, on: context.device,
                                       seed: config.seed &+ 1)
        predictor = try projectionHead(inputs: config.head.last!, widths: widths, on: context.device,
                                       seed: config.seed &+ 3)
        target = try MomentumTarget(encoder: encoder, head: projector, names: ("target_encoder", "target_head"),
                                    start: start, end: end)
    }

    public var name: String { "byol" }

    public var trainable: [(prefix: String, layer: any Layer)] { [("head", projector), ("predictor", predictor)] }

    public func forwardBackward(_ batch: MethodBatch, encoder: any Layer, phases: StepPhaseObserver) throws -> MethodStep {
        try predictorStep(batch, encoder: encoder, projector: projector, predictor: predictor, form: .byol,
                          phases: phases, targets: { _ in try target.forward(batch.views) })
    }

    public func afterStep(_ step: Int, of totalSteps: Int) throws {
        try target.update(toward: encoder, projector, after: step, of: totalSteps)
    }

    public var state: [(name: String, value: StateValue)] { target.state }

    public func loadState(_ tensors: [SafetensorsTensor], owner: String) throws {
        let known = Set(state.map(\.name))
        if let stray = tensors.first(where: { !known.contains($0.name) }) {
            throw SimileError.invalidArgument("load: the state does not fit \(owner): unexpected \(stray.name)")
        }
        try target.load(tensors, owner: owner)
    }
}
