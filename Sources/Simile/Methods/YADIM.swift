/// YADIM, "yet another DIM" (Falcon & Cho 2020, "A framework for contrastive self-supervised learning and designing
/// a new approach"): the method the framework designed, AMDIM's loss on a plainer comparison.
///
/// - augmentation: the run's chain for both views (the merged pipeline of CPC's and AMDIM's transforms in the paper);
/// - encoder: the trainer's ResNet, no projection head;
/// - representation extraction: the last feature map of each view, before the global pooling (`ResNet.trunk`);
/// - similarity: the dot product over √d, soft-clipped by tclip·tanh(·/tclip) (`FeatureMapComparisons`, shared with
///   AMDIM);
/// - loss: AMDIM's NCE of a vector drawn from one view's map against every location of the other view's map, both
///   ways, with its 0.05·mean(score²) regulariser (`featureMapContrastiveLoss`).
///
/// From AMDIM it differs in the encoder and in the comparisons (last map to last map, where AMDIM compares its 1×1
/// map with the 5×5 and 7×7 ones and the 5×5 with itself); from SimCLR in all but the augmentation: no head, no
/// pooling before the comparison, scores at every location rather than one cosine per image, and AMDIM's clipped,
/// regularised NCE rather than NT-Xent. AMDIM's optimiser: Adam at 2e-4 with betas (0.8, 0.999) (`--momentum` is
/// AdamW's β1), no weight decay.
public final class YADIM: SelfSupervisedMethod {
    let comparisons: FeatureMapComparisons

    public static let entry = MethodEntry(
        name: "yadim", summary: "YADIM: AMDIM's NCE between the views' last feature maps",
        settings: [],
        defaults: { config, _ in
            (config.optimizer, config.learningRate, config.lrScaling, config.weightDecay) = (.adamw, 2e-4, nil, 0)
            config.momentum = 0.8
        },
        make: { try YADIM($0) })

    init(_ context: MethodContext) throws {
        comparisons = FeatureMapComparisons(pairs: [(0, 0)], tclip: 20, seed: context.configuration.seed &+ 11)
    }

    public var name: String { "yadim" }

    public var trainable: [(prefix: String, layer: any Layer)] { [] }

    public func forwardBackward(_ batch: MethodBatch, encoder: any Layer, phases: StepPhaseObserver) throws
        -> MethodStep {
        guard let resnet = encoder as? ResNet else {
            throw SimileError.invalidArgument("yadim compares a ResNet's last feature maps; got a \(type(of: encoder))")
        }
        let (map, record) = try resnet.trunk.recordedForward(batch.views)
        let features = try globalAvgPool(map)
        try phases.end(.forward)
        let (loss, gradients) = try comparisons.loss([batch.gather.rows(map, views: 2)], step: batch.step)
        try phases.end(.loss)
        _ = try record.backward(batch.gather.localGradient(gradients[0], views: 2))
        try phases.end(.backward)
        return MethodStep(loss: loss, features: features, embeddings: features)
    }
}
