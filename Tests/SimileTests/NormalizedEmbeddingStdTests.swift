import Testing
@testable import Simile

@Suite struct NormalizedEmbeddingStdTests {
    @Test("the float64 reference gives the hand-computed case")
    func referenceHandComputed() {
        // Rows (3, 0) and (0, 0.5) normalise to (1, 0) and (0, 1): each column holds 1 and 0, whose mean is 1/2 and
        // unbiased standard deviation sqrt(((1/2)² + (1/2)²)/1) = sqrt(1/2), so the average over columns is sqrt(1/2).
        #expect(abs(Reference.normalizedEmbeddingStd([3, 0, 0, 0.5], rows: 2, cols: 2) - 0.5.squareRoot()) < 1e-15)
    }

    @Test("matches the float64 reference and the hand-computed case", arguments: TestBackend.allCases)
    func matchesReference(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let hand = try normalizedEmbeddingStd(Tensor([3, 0, 0, 0.5], shape: [2, 2], on: device)).toArray()
        #expect(hand.count == 1 && abs(Double(hand[0]) - 0.5.squareRoot()) < 1e-6, "\(backend): \(hand)")
        for (n, d) in [(2, 1), (7, 5), (33, 257), (512, 2048)] {
            let values = randomValues(n * d, seed: UInt64(n + d))
            let expected = Reference.normalizedEmbeddingStd(values.map(Double.init), rows: n, cols: d)
            let actual = try normalizedEmbeddingStd(Tensor(values, shape: [n, d], on: device))
            #expect(actual.shape == [1] && actual.device === device)
            let value = try actual.toArray()[0]
            #expect(abs(Double(value) - expected) <= 1e-5 * expected, "\(backend) N=\(n) d=\(d): \(value) vs \(expected)")
        }
    }

    @Test("rows pointing the same way (collapse) give 0, whatever their norms", arguments: TestBackend.allCases)
    func collapsed(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let (n, d) = (64, 128), direction = randomValues(d, seed: 180), norms = randomValues(n, seed: 181)
        let rows = (0..<n).flatMap { i in direction.map { $0 * (2 + norms[i]) } }
        let value = try normalizedEmbeddingStd(Tensor(rows, shape: [n, d], on: device)).toArray()[0]
        #expect(value >= 0 && value < 1e-6, "\(backend): \(value)")
    }

    @Test("Gaussian embeddings read about 1/√d", arguments: TestBackend.allCases)
    func healthy(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let d = 64
        let value = try normalizedEmbeddingStd(Tensor.normal([4096, d], seed: 182, on: device)).toArray()[0]
        #expect(abs(value * Float(d).squareRoot() - 1) < 0.02, "\(backend): \(value)·√d")
    }

    @Test("bad input is one clear error")
    func badInput() throws {
        expectError(.shapeMismatch(op: "normalizedEmbeddingStd", detail: "z must be 2-D, got shape [4]")) {
            _ = try normalizedEmbeddingStd(Tensor.zeros([4], on: .cpu))
        }
        expectError(.invalidArgument("normalizedEmbeddingStd: a standard deviation over rows needs at least 2 rows, "
                                     + "got z [1, 4]")) {
            _ = try normalizedEmbeddingStd(Tensor.zeros([1, 4], on: .cpu))
        }
        expectError(.invalidArgument("normalizedEmbeddingStd: z has no columns (shape [3, 0])")) {
            _ = try normalizedEmbeddingStd(Tensor.zeros([3, 0], on: .cpu))
        }
    }
}
