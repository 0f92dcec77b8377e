/// PIRL (Misra & van der Maaten 2020, "Self-supervised learning of pretext-invariant representations"): an image's
/// representation should not change when the image is cut into a jigsaw.
///
/// - augmentation: two views of each image from the run's chain; the second is then cut into PIRL's jigsaw
///   (`AugmentationConfig.Jigsaw`: a 3 × 3 grid, a piece of ¾ of a cell at a random place in each, shuffled;
///   `--jigsaw GRID,PIECE` to change it), the first is not;
/// - encoder and representation: f(I) = a linear map to 128 (`--head`) of the encoder's features of the first view;
///   g(I^t) = the same encoder on each of the 9 pieces of the second (`cutPatches`), one linear map shared by the
///   pieces to 128, the 9 results concatenated in the pieces' order and mapped linearly to 128;
/// - similarity: cosine with every row of a memory bank of one unit vector per training image (`MemoryBank`), τ = 0.07;
/// - loss: 0.5·ℓ(g(I^t), m_I) + 0.5·ℓ(f(I), m_I), each ℓ the non-parametric softmax over the whole bank with the
///   image's own row m_I as its class (`bankSoftmaxLoss` of the 2B queries at once, whose mean is that sum); or, with
///   `--loss nce`, the paper's NCE against rows drawn from the bank (`bankNCELoss`, as InstDisc's; the paper draws
///   32,000, `--negatives` sets K).
///
/// The bank takes f(I) only, m_I ← normalise(0.5·m_I + 0.5·f̂(I)), after the optimiser step. The default lr is a
/// tenth of the dataset's, as InstDisc's (`memoryBankLearningRateScale`).
public final class PIRL: SelfSupervisedMethod {
    /// f's map of the first view's features.
    public let imageHead: Sequential
    /// The map each piece's features take, before the concatenation.
    public let pieceHead: Sequential
    /// The map of the concatenated pieces to g.
    public let jigsawHead: Sequential
    public let temperature: Float
    public let memory: MemoryBank
    /// The second view's jigsaw, whose pieces the step cuts out.
    public let jigsaw: AugmentationConfig.Jigsaw

    public static let entry = MethodEntry(
        name: "pirl", summary: "PIRL: an image and its jigsaw agree, softmax over a memory bank",
        settings: [.head, .temperature, .loss, .negatives], losses: ["softmax", "nce"],
        defaults: { config, _ in
            config.head = [128]
            config.temperature = 0.07
            config.learningRate *= memoryBankLearningRateScale
        },
        views: { chain, _ in
            var (image, pieces) = (chain, chain)
            image.jigsaw = nil
            pieces.jigsaw = chain.jigsaw ?? .pirl(side: min(chain.outputHeight, chain.outputWidth))
            return [image, pieces]
        },
        make: { try PIRL($0) })

    init(_ context: MethodContext) throws {
        let config = context.configuration
        guard config.augmentation?.jigsaw != "none", let jigsaw = context.views.last?.jigsaw else {
            throw SimileError.invalidArgument("pirl learns from a jigsaw of its second view: --jigsaw none leaves it none")
        }
        try validateTemperature(config.temperature, name: "temperature")
        let (features, width) = (context.encoder.outputFeatures, config.head.last!)
        memory = try MemoryBank(context, width: width, seed: config.seed &+ 5, method: "pirl")
        imageHead = try projectionHead(inputs: features, widths: config.head, on: context.device, seed: config.seed &+ 1)
        pieceHead = try projectionHead(inputs: features, widths: [width], on: context.device, seed: config.seed &+ 6)
        jigsawHead = try projectionHead(inputs: jigsaw.grid * jigsaw.grid * width, widths: [width], on: context.device,
                                        seed: config.seed &+ 7)
        (self.jigsaw, temperature) = (jigsaw, config.temperature)
    }

    public var name: String { "pirl" }

    public var trainable: [(prefix: String, layer: any Layer)] {
        [("head", imageHead), ("piece_head", pieceHead), ("jigsaw_head", jigsawHead)]
    }

    public func forwardBackward(_ batch: MethodBatch, encoder: any Layer, phases: StepPhaseObserver) throws -> MethodStep {
        let b = batch.images.count
        let pieces = try cutPatches(rowBlock(batch.views, b..<2 * b), size: jigsaw.piece, step: jigsaw.piece,
                                    grid: (jigsaw.grid, jigsaw.grid))
        let (features, imageRecord) = try encoder.recordedForward(rowBlock(batch.views, 0..<b))
        let (f, fRecord) = try imageHead.recordedForward(features)
        let (pieceFeatures, piecesRecord) = try encoder.recordedForward(pieces)
        let (perPiece, perPieceRecord) = try pieceHead.recordedForward(pieceFeatures)
        let (g, gRecord) = try jigsawHead.recordedForward(perPiece.reshaped([b, perPiece.count / b]))
        let images = try batch.gather.images(batch.images)
        let rows = try memory.rows(of: images + images)
        let (allG, allF) = (try batch.gather.rows(g, views: 1), try batch.gather.rows(f, views: 1))
        try phases.end(.forward)
        let result = try memory.loss(stackingRows([allG, allF]), targets: rows, temperature: temperature,
                                     step: batch.step)
        try phases.end(.loss)
        let dg = try batch.gather.localGradient(rowBlock(result.queryGradient, 0..<images.count), views: 1)
        let df = try batch.gather.localGradient(rowBlock(result.queryGradient, images.count..<2 * images.count),
                                                views: 1)
        _ = try imageRecord.backward(fRecord.backward(df))
        _ = try piecesRecord.backward(perPieceRecord.backward(gRecord.backward(dg).reshaped(perPiece.shape)))
        try phases.end(.backward)
        try memory.stage(allF, at: memory.rows(of: images))
        return MethodStep(loss: result.loss, features: features, embeddings: f)
    }

    public func afterStep(_ step: Int, of totalSteps: Int) throws { try memory.update() }

    public var state: [(name: String, value: StateValue)] { memory.state }

    /// The bank holds f(I), so an image is compared with it through the image head.
    public var memoryBank: (rows: Tensor, embed: (Tensor) throws -> Tensor)? { memory.evaluation(through: imageHead) }
}
