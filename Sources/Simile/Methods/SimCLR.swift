/// SimCLR (Chen et al. 2020) and its decoupled variants DCL and DCLW (Yeh et al. 2022): both views go through the
/// encoder and a projection head, and the loss contrasts each embedding's other view against every other embedding
/// of the batch (`contrastiveLoss`: NT-Xent, DCL or DCLW, fused with its gradient). Nothing is kept between steps.
/// SimCLR may instead train with the triplet loss (`--loss triplet`: `tripletLoss`, one negative mined from the
/// batch per anchor, `--margin` and `--mining`).
///
/// The two views are forwarded as one batch of 2B, as SimCLR's own implementation concatenates them, so batch norm
/// normalises over both views (lightly forwards each view on its own; the loss is the same, the statistics differ).
public final class SimCLR: SelfSupervisedMethod {
    public let head: Sequential
    public let loss: ContrastiveMethod
    public let temperature: Float
    /// DCLW's σ (unused by NT-Xent and DCL).
    public let sigma: Float
    /// The triplet loss's settings when it replaces NT-Xent (nil: `loss`).
    public let triplet: TripletSettings?

    public init(head: Sequential, loss: ContrastiveMethod = .ntxent, temperature: Float = 0.5, sigma: Float = 0.5,
                triplet: TripletSettings? = nil) throws {
        try validateTemperature(temperature, name: "temperature")
        try validateTemperature(sigma, name: "sigma")
        guard triplet == nil || loss == .ntxent else {
            throw SimileError.invalidArgument("the triplet loss replaces NT-Xent; \(loss) has none to replace")
        }
        (self.head, self.loss, self.temperature, self.sigma, self.triplet) = (head, loss, temperature, sigma, triplet)
    }

    public var name: String {
        switch loss {
        case .ntxent: return "simclr"
        case .dcl: return "dcl"
        case .dclw: return "dclw"
        }
    }

    public var trainable: [(prefix: String, layer: any Layer)] { [("head", head)] }

    /// SimCLR, DCL and DCLW: one entry per loss, all with the dataset's head and SimCLR's τ = 0.5.
    static let entries: [MethodEntry] = [
        (ContrastiveMethod.ntxent, "simclr", "SimCLR: NT-Xent over the other embeddings of the batch"),
        (.dcl, "dcl", "DCL: NT-Xent without the positive in the denominator"),
        (.dclw, "dclw", "DCLW: DCL with a von Mises-Fisher weight on positives (σ)"),
    ].map { loss, name, summary in
        MethodEntry(name: name, summary: summary,
                    settings: loss == .dclw ? [.head, .temperature, .sigma] : loss == .dcl ? [.head, .temperature]
                        : [.head, .temperature, .loss, .margin, .mining],
                    losses: loss == .ntxent ? ["ntxent", "triplet"] : [],
                    defaults: { _, _ in }) { context in
            let config = context.configuration
            let head = try projectionHead(inputs: context.encoder.outputFeatures, widths: config.head, on: context.device,
                                          seed: config.seed &+ 1)
            return try SimCLR(head: head, loss: loss, temperature: config.temperature, sigma: config.sigma,
                              triplet: config.triplet)
        }
    }

    public func forwardBackward(_ batch: MethodBatch, encoder: any Layer, phases: StepPhaseObserver) throws -> MethodStep {
        let (features, encoderRecord) = try encoder.recordedForward(batch.views)
        let (z, headRecord) = try head.recordedForward(features)
        try phases.end(.forward)
        let all = try batch.gather.rows(z, views: 2)
        let result = try triplet.map { try tripletLoss(all, margin: $0.margin, mining: $0.mining) }
            ?? contrastiveLoss(all, method: loss, temperature: temperature, sigma: sigma)
        try phases.end(.loss)
        _ = try encoderRecord.backward(headRecord.backward(batch.gather.localGradient(result.gradient, views: 2)))
        try phases.end(.backward)
        return MethodStep(loss: result, features: features, embeddings: z)
    }
}
