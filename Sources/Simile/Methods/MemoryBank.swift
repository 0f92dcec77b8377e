/// One L2-normalised row per training image, on the device: InstDisc's and PIRL's memory bank, and their loss against
/// it. It starts as random unit rows (the papers' and lightly's start), and each step's unit embeddings of the
/// batch's images move their rows after the optimiser step, m_i ← normalise(μ·m_i + (1 − μ)·v̂_i) with μ = 0.5 (the
/// papers' code), at the rows the batch names, on the device (`momentumUpdateRows`). No gradient reaches it.
/// The loss is the softmax over the whole bank, or with `--loss nce` NCE against K rows drawn each step (`nce`).
/// Checkpoints keep the bank as "bank", and NCE's normaliser as "nce_normaliser".
public final class MemoryBank {
    /// The bank [training images, d].
    public let rows: Tensor
    /// μ of m ← normalise(μ·m + (1 − μ)·v̂).
    public static let momentum: Float = 0.5
    /// NCE's noise rows per step, the seed of their draws, its normaliser (`bankNCELoss`) and the last step that
    /// estimates it afresh (see `loss`); nil: the full softmax.
    public let nce: (negatives: Int, seed: UInt64, normaliser: Tensor, lastEstimate: Int)?
    /// This step's embeddings and the rows they update.
    private var pending: (values: Tensor, rows: RowIndices)?

    /// A bank of `context.trainingImages` rows of `width`; refused when row numbers could not index it exactly.
    init(_ context: MethodContext, width: Int, seed: UInt64, method: String) throws {
        guard context.trainingImages <= RowIndices.largestBank else {
            throw SimileError.invalidArgument("\(method) keeps a bank row per training image: at most "
                                              + "\(RowIndices.largestBank) images, got \(context.trainingImages)")
        }
        rows = try randomUnitRows(context.trainingImages, width, seed: seed, on: context.device)
        nce = try context.configuration.nce.map {
            ($0.negatives, seed &+ 1, try nceNormaliser(on: context.device), context.stepsPerEpoch)
        }
    }

    /// The loss of `queries` whose targets are the bank rows `targets`, at τ = `temperature`, for the optimiser step
    /// `step`: the softmax over the whole bank (`bankSoftmaxLoss`), or NCE (`bankNCELoss`) against K rows drawn
    /// uniformly with replacement from a generator seeded by the run's seed and `step`, so a resumed run draws what
    /// the uninterrupted one did.
    ///
    /// NCE's Z is estimated afresh from each batch of the first epoch and from the first batch after it, the first
    /// that meets a bank whose every row has held an embedding, and then kept. The paper keeps the first batch's,
    /// made against the random bank: a random network's embeddings lie close together (cosines near 0.9 on digits),
    /// so once they fill the bank every noise row scores far above that Z, the target's and the noise's terms
    /// saturate, and what is left of the gradient pushes every query the same way. Kept from the first batch, a
    /// digits run (15 epochs, lr 0.006) collapsed (loss 279 → 18,795, kNN 0.185); estimated this way it trains
    /// (loss 14.2 → 7.2, kNN 0.886).
    func loss(_ queries: Tensor, targets: RowIndices, temperature: Float, step: Int) throws
        -> (loss: any DeviceLoss, queryGradient: Tensor) {
        guard let nce else {
            let result = try bankSoftmaxLoss(queries: queries, bank: rows, targets: targets, temperature: temperature)
            return (result, result.queryGradient)
        }
        if step <= nce.lastEstimate {
            let unset: [Float] = [0, 0]
            try unset.withUnsafeBufferPointer { try nce.normaliser.upload(from: $0.baseAddress!) }
        }
        var generator = SeededGenerator(seed: nce.seed ^ (UInt64(step) &* 0x9E37_79B9_7F4A_7C15))
        let noise = (0..<nce.negatives).map { _ in Int.random(in: 0..<rows.shape[0], using: &generator) }
        let result = try bankNCELoss(queries: queries, bank: rows, targets: targets,
                                     negatives: RowIndices(noise, rows: rows.shape[0], on: rows.device),
                                     temperature: temperature, normaliser: nce.normaliser)
        return (result, result.gradient)
    }

    /// What checkpoints keep: the bank, and NCE's normaliser.
    var state: [(name: String, value: StateValue)] {
        [("bank", .tensor(rows))] + (nce.map { [("nce_normaliser", .tensor($0.normaliser))] } ?? [])
    }

    /// The bank rows of a batch's images (`MethodBatch.images`), on the device.
    func rows(of images: [Int]) throws -> RowIndices {
        try RowIndices(images, rows: rows.shape[0], on: rows.device)
    }

    /// Keeps `values` (one row per index, normalised here) for the update after the optimiser step.
    func stage(_ values: Tensor, at indices: RowIndices) throws {
        pending = (try l2Normalize(values).y, indices)
    }

    /// The bank with `head`, run in eval mode, as what turns encoder features into rows like its own (the protocol's
    /// `memoryBank`, for the kNN from the bank).
    func evaluation(through head: Sequential) -> (rows: Tensor, embed: (Tensor) throws -> Tensor) {
        (rows, { features in
            head.setTraining(false)
            defer { head.setTraining(true) }
            return try head.forward(features)
        })
    }

    /// Moves the staged rows (the trainer's `afterStep`); nothing when none is staged.
    func update() throws {
        guard let (values, indices) = pending else { return }
        pending = nil
        try momentumUpdateRows(rows, indices, values: values, momentum: Self.momentum)
    }
}

/// InstDisc's and PIRL's default lr against the dataset's (SimCLR's): a tenth. Their losses at τ 0.07 scale each
/// cosine's gradient by 1/τ ≈ 14, seven times SimCLR's at τ 0.5. On digits (60 epochs) InstDisc reached a kNN top-1 of
/// 0.788 at the dataset's lr 0.06 and 0.913 at 0.006 (SimCLR: 0.916); NCE's loss rose for the whole run at 0.06, 0.03
/// and 0.015 and trained at 0.006 (0.886).
let memoryBankLearningRateScale: Float = 0.1

/// `count` random unit rows of `width` (normal draws, L2-normalised): where banks and queues start.
func randomUnitRows(_ count: Int, _ width: Int, seed: UInt64, on device: Device) throws -> Tensor {
    try l2Normalize(Tensor.normal([count, width], seed: seed, on: device)).y
}
