import Testing
@testable import Simile

/// SwAV's loss: each coded view's Sinkhorn codes as the soft targets of every other view.
@Suite struct SwappedPredictionLossTests {
    @Test("loss and dL/dS match lightly's SwaVLoss in float64 (codes without gradient), on each backend",
          arguments: TestBackend.allCases)
    func matchesFloat64(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        for (b, k) in [(1, 1), (6, 11), (64, 128)] {
            // Cosines of unit vectors lie in [−1, 1], as SwAV's scores do.
            let scores = randomValues(2 * b * k, seed: UInt64(b * k))
            let result = try swappedPredictionLoss(scores: Tensor(scores, shape: [2 * b, k], on: device))
            let expected = Reference.swappedPredictionLoss(scores: scores.map(Double.init), samples: b, prototypes: k,
                                                           temperature: 0.1, epsilon: 0.05, iterations: 3)
            expectClose([try result.value()], [expected.loss], tolerance: 1e-5, "B \(b) K \(k) loss")
            expectClose(try result.logitGradient.toArray().map { $0 * Float(b) }, expected.gradient.map { $0 * Double(b) },
                        tolerance: 1e-4, "B \(b) K \(k) gradient")
        }
    }

    @Test("multi-crop: V views, the first H coded, each predicted by every other view, against float64 on each backend",
          arguments: TestBackend.allCases)
    func multiCrop(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        for (views, coded, b, k) in [(6, 2, 5, 7), (3, 1, 4, 9), (4, 4, 3, 5), (2, 1, 2, 3)] {
            let scores = randomValues(views * b * k, seed: UInt64(views * b * k))
            let result = try swappedPredictionLoss(scores: Tensor(scores, shape: [views * b, k], on: device), views: views,
                                                   codedViews: coded)
            let expected = Reference.swappedPredictionLoss(scores: scores.map(Double.init), views: views, codedViews: coded,
                                                           samples: b, prototypes: k, temperature: 0.1, epsilon: 0.05,
                                                           iterations: 3)
            let label = "V \(views), H \(coded), B \(b), K \(k)"
            expectClose([try result.value()], [expected.loss], tolerance: 1e-5, label + " loss")
            expectClose(try result.logitGradient.toArray().map { $0 * Float(b) }, expected.gradient.map { $0 * Double(b) },
                        tolerance: 1e-4, label + " gradient")
        }
    }

    @Test("a queue of past embeddings: Sinkhorn over the batch and the queue's scores together, the batch's codes kept, against float64",
          arguments: TestBackend.allCases)
    func queue(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        for (views, b, l, k) in [(2, 4, 12, 7), (4, 3, 6, 5)] {
            let scores = randomValues(views * b * k, seed: UInt64(views * b * k))
            let queued = (0..<2).map { randomValues(l * k, seed: UInt64(100 + $0)) }
            let result = try swappedPredictionLoss(scores: Tensor(scores, shape: [views * b, k], on: device), views: views,
                                                   queued: queued.map { try Tensor($0, shape: [l, k], on: device) })
            let expected = Reference.swappedPredictionLoss(scores: scores.map(Double.init), views: views,
                                                           queued: queued.map { $0.map(Double.init) }, samples: b,
                                                           prototypes: k, temperature: 0.1, epsilon: 0.05, iterations: 3)
            let without = Reference.swappedPredictionLoss(scores: scores.map(Double.init), views: views, samples: b,
                                                          prototypes: k, temperature: 0.1, epsilon: 0.05, iterations: 3)
            let label = "V \(views), B \(b), L \(l)"
            #expect(abs(expected.loss - without.loss) > 1e-3, "\(label): the queue changes nothing")
            expectClose([try result.value()], [expected.loss], tolerance: 1e-5, label + " loss")
            expectClose(try result.logitGradient.toArray().map { $0 * Float(b) }, expected.gradient.map { $0 * Double(b) },
                        tolerance: 1e-4, label + " gradient")
        }
        expectError(.shapeMismatch(op: "swappedPredictionLoss", detail: "queued scores [[3, 4]] must be one [L, 4] per "
                                   + "coded view (2), or none")) {
            _ = try swappedPredictionLoss(scores: Tensor.zeros([4, 4], on: device), queued: [Tensor.zeros([3, 4], on: device)])
        }
    }

    @Test("bad input is one clear error")
    func badInput() throws {
        expectError(.invalidArgument("swappedPredictionLoss: scores [3, 4] need 2·B rows (B ≥ 1 per view)")) {
            _ = try swappedPredictionLoss(scores: Tensor.zeros([3, 4], on: .cpu))
        }
        expectError(.invalidArgument("swappedPredictionLoss: scores [0, 4] need 2·B rows (B ≥ 1 per view)")) {
            _ = try swappedPredictionLoss(scores: Tensor.zeros([0, 4], on: .cpu))
        }
        expectError(.invalidArgument("swappedPredictionLoss: scores [7, 4] need 3·B rows (B ≥ 1 per view)")) {
            _ = try swappedPredictionLoss(scores: Tensor.zeros([7, 4], on: .cpu), views: 3)
        }
        expectError(.invalidArgument("swappedPredictionLoss: 3 views with 4 coded; at least 2 views, and 1 to 3 of them coded")) {
            _ = try swappedPredictionLoss(scores: Tensor.zeros([6, 4], on: .cpu), views: 3, codedViews: 4)
        }
        expectError(.invalidArgument("swappedPredictionLoss: 1 views with 1 coded; at least 2 views, and 1 to 1 of them coded")) {
            _ = try swappedPredictionLoss(scores: Tensor.zeros([6, 4], on: .cpu), views: 1, codedViews: 1)
        }
        expectError(.invalidArgument("sinkhorn: epsilon must be a finite number > 0, got 0.0")) {
            _ = try swappedPredictionLoss(scores: Tensor.zeros([2, 4], on: .cpu), epsilon: 0)
        }
    }
}
