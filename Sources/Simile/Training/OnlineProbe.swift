/// The online linear probe of lightly's and solo-learn's benchmarks: a linear classifier trained alongside the
/// self-supervised method on the encoder's features of each step's views, detached (no gradient reaches the
/// encoder, and no extra encoder forward is made), against the images' labels. Its held-out top-1 follows training
/// without the cost of a full linear evaluation; it lags that evaluation, as its features keep moving under it.
///
/// logits = h·Wᵀ + b for the features h [2B, F] of both views (each view carries its image's label), the mean
/// softmax cross-entropy (`softmaxCrossEntropy`), and dW, db accumulated by `Linear`'s backward pass. The trainer's
/// optimiser updates W and b (as "online_probe.weight" and ".bias") at the schedule's learning rate, without weight
/// decay, as lightly's benchmarks put the classifier in the model's optimiser.
public final class OnlineProbe {
    public let classifier: Linear

    init(features: Int, classes: Int, on device: Device, seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        classifier = try Linear(features, classes, on: device, generator: &generator)
    }

    /// Accumulates the classifier's gradients for the features `features` [V·B, F] of the V views of B images labelled
    /// `labels` (first views in rows 0..<B, second views in B..<2B, and so on), scaled by `scale` (1/P for one rank's
    /// share of a data-parallel step, whose gradients the ranks sum).
    func accumulate(features: Tensor, labels: [Int], scale factor: Float = 1) throws {
        let rows = features.shape[0]
        guard !labels.isEmpty, rows % labels.count == 0 else {
            throw SimileError.shapeMismatch(op: "online probe", detail: "\(rows) views for \(labels.count) labels")
        }
        let repeated = Array(repeating: labels, count: rows / labels.count).joined()
        let target = try Tensor(repeated.map(Float.init), shape: [rows], on: features.device)
        let (logits, record) = try classifier.recordedForward(features)
        let (_, gradient) = try softmaxCrossEntropy(logits, labels: target)
        _ = try record.backward(factor == 1 ? gradient : scale(gradient, by: factor))
    }

    /// Top-1 and top-5 of the classifier on `features` [N, F] labelled `labels`.
    func accuracy(features: Tensor, labels: [Int]) throws -> ClassificationAccuracy {
        let classes = classifier.weight.value.shape[0], topCount = min(5, classes)
        let logits = try classifier.forward(features).toArray().map(Double.init)
        let ranked = logits.withUnsafeBufferPointer { scores in
            (0..<labels.count).map {
                topClasses(UnsafeBufferPointer(rebasing: scores[$0 * classes..<($0 + 1) * classes]), count: topCount)
            }
        }
        return ClassificationAccuracy(ranked: ranked, labels: labels, topCount: topCount)
    }
}
