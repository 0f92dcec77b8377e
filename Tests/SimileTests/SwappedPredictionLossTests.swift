import Testing
@testable import Simile

/// SwAV's two-view loss: each view's Sinkhorn codes as the other's soft targets.
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

    @Test("bad input is one clear error")
    func badInput() throws {
        expectError(.invalidArgument("swappedPredictionLoss: scores [3, 4] need 2B rows (B ≥ 1 per view)")) {
            _ = try swappedPredictionLoss(scores: Tensor.zeros([3, 4], on: .cpu))
        }
        expectError(.invalidArgument("swappedPredictionLoss: scores [0, 4] need 2B rows (B ≥ 1 per view)")) {
            _ = try swappedPredictionLoss(scores: Tensor.zeros([0, 4], on: .cpu))
        }
        expectError(.invalidArgument("sinkhorn: epsilon must be a finite number > 0, got 0.0")) {
            _ = try swappedPredictionLoss(scores: Tensor.zeros([2, 4], on: .cpu), epsilon: 0)
        }
    }
}
