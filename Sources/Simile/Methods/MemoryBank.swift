/// One L2-normalised row per training image, on the device: InstDisc's and PIRL's memory bank. It starts as random
/// unit rows (the papers' and lightly's start), and each step's unit embeddings of the batch's images move their
/// rows after the optimiser step, m_i ← normalise(μ·m_i + (1 − μ)·v̂_i) with μ = 0.5 (the papers' code), at the rows
/// the batch names, on the device (`momentumUpdateRows`). No gradient reaches it. Checkpoints keep it as "bank".
public final class MemoryBank {
    /// The bank [training images, d].
    public let rows: Tensor
    /// μ of m ← normalise(μ·m + (1 − μ)·v̂).
    public static let momentum: Float = 0.5
    /// This step's embeddings and the rows they update.
    private var pending: (values: Tensor, rows: RowIndices)?

    /// A bank of `context.trainingImages` rows of `width`; refused when row numbers could not index it exactly.
    init(_ context: MethodContext, width: Int, seed: UInt64, method: String) throws {
        guard context.trainingImages <= RowIndices.largestBank else {
            throw SimileError.invalidArgument("\(method) keeps a bank row per training image: at most "
                                              + "\(RowIndices.largestBank) images, got \(context.trainingImages)")
        }
        rows = try randomUnitRows(context.trainingImages, width, seed: seed, on: context.device)
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

/// `count` random unit rows of `width` (normal draws, L2-normalised): where banks and queues start.
func randomUnitRows(_ count: Int, _ width: Int, seed: UInt64, on device: Device) throws -> Tensor {
    try l2Normalize(Tensor.normal([count, width], seed: seed, on: device)).y
}
