import Foundation

/// SwAV (Caron et al. 2020), as lightly's CIFAR-10 benchmark trains it, with two views of the training size and, with
/// `--multi-crop N,SIZE`, the paper's multi-crop:
///
/// - augmentation: SimCLR's chain for both views; with multi-crop, the two large crops take 14–100% of the image and
///   N small crops of SIZE × SIZE pixels 5–14% (the paper's scales), the rest of the chain the same (a blur's kernel
///   resized to the small side);
/// - encoder: run once per crop size (the loader batches views per size; global pooling makes the features of every
///   size alike), the features of all crops then stacked for the projector, as the paper's code does;
/// - encoder and representation: z = normalise(projector(encoder(view))), the projector a `.batchNorm` MLP; its
///   scores against K prototypes, the rows of a bias-free linear layer renormalised to unit length before every
///   forward pass (`--prototypes`: lightly's 512 for CIFAR-size data, the paper's 3000 for ImageNet-size folders);
/// - similarity: cosine between an embedding and each prototype;
/// - loss: swapped prediction: each large crop's codes (Sinkhorn–Knopp, 3 rounds at ε = 0.05, on that crop's batch,
///   no gradient) are the soft targets of every other crop's softmax over the prototypes at τ = 0.1
///   (`swappedPredictionLoss`).
///
/// The prototypes take no step in the first epoch (their gradient is dropped, as lightly's
/// `n_steps_frozen_prototypes` of one epoch), so that the codes settle before the clusters move. Not built yet: the
/// queue of past embeddings. A run whose loss sits at ln K is named in the collapse warning
/// (`collapsedLoss`).
public final class SwAV: SelfSupervisedMethod {
    public let projector: Sequential
    /// The prototypes C [K, d] as a linear layer: scores = z Cᵀ.
    public let prototypes: Linear
    public let temperature: Float
    /// Steps of the first epoch, during which the prototypes are frozen.
    let frozenSteps: Int

    public static let entry = MethodEntry(
        name: "swav", summary: "SwAV: views predict each other's Sinkhorn codes",
        settings: [.temperature, .prototypes, .multiCrop],
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
        let result = try swappedPredictionLoss(scores: scores, views: features.shape[0] / batch.images.count,
                                               temperature: temperature)
        try phases.end(.loss)
        let dz = try prototypeRecord.backward(result.logitGradient)
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
}
