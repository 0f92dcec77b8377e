import Testing
@testable import Simile

/// NNCLR's loss: the neighbours' search, gather and two NT-Xent terms against float64, and its gradient.
@Suite struct NearestNeighbourContrastiveLossTests {
    @Test("loss and dL/dp match float64 at τ 0.5 and 0.1, on each backend", arguments: TestBackend.allCases)
    func matchesFloat64(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let (rows, k, d) = (10, 13, 6)
        let z = randomValues(rows * d, seed: 91), p = randomValues(rows * d, seed: 92), s = randomValues(k * d, seed: 93)
        for temperature in [0.5, 0.1] as [Float] {
            let result = try nearestNeighbourContrastiveLoss(
                projections: Tensor(z, shape: [rows, d], on: device), predictions: Tensor(p, shape: [rows, d], on: device),
                support: Tensor(s, shape: [k, d], on: device), temperature: temperature)
            let expected = Reference.nearestNeighbourContrastiveLoss(
                projections: z.map(Double.init), predictions: p.map(Double.init), support: s.map(Double.init), rows: rows,
                supportRows: k, cols: d, temperature: Double(temperature))
            #expect(abs(Double(try result.value()) - expected.loss) <= 1e-5 * expected.loss, "τ \(temperature)")
            #expect(abs(Double(try result.loss.toArray()[0]) - expected.loss) <= 1e-5 * expected.loss)
            expectClose(try result.predictionGradient.toArray(), expected.gradient, tolerance: 1e-5, "dp, τ \(temperature)")
        }
    }

    @Test("dL/dp matches finite differences of the loss", arguments: TestBackend.allCases)
    func finiteDifferenceCheck(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let (rows, k, d) = (4, 5, 3)
        let z = try Tensor(randomValues(rows * d, seed: 94), shape: [rows, d], on: device)
        let s = try Tensor(randomValues(k * d, seed: 95), shape: [k, d], on: device)
        let p = randomValues(rows * d, seed: 96)
        func result(_ p: [Float]) throws -> NearestNeighbourContrastiveResult {
            try nearestNeighbourContrastiveLoss(projections: z, predictions: Tensor(p, shape: [rows, d], on: device),
                                                support: s, temperature: 0.5)
        }
        expectClose(try result(p).predictionGradient.toArray(),
                    try finiteDifferences(p, step: 1e-2) { Double(try result($0).value()) }, tolerance: 2e-3, "dp")
    }

    @Test("bad input is one clear error, and a non-finite projection is reported though it only picks rows")
    func badInput() throws {
        let z = try Tensor.uniform([4, 3], seed: 1, on: .cpu), s = try Tensor.uniform([6, 3], seed: 2, on: .cpu)
        expectError(.shapeMismatch(op: "nearestNeighbourContrastiveLoss",
                                   detail: "projections [4, 3] and predictions [6, 3] must have one shape [2B, d]")) {
            _ = try nearestNeighbourContrastiveLoss(projections: z, predictions: s, support: s, temperature: 0.5)
        }
        expectError(.invalidArgument("nearestNeighbourContrastiveLoss: 3 rows; two views need 2B")) {
            let odd = try Tensor.uniform([3, 3], seed: 3, on: .cpu)
            _ = try nearestNeighbourContrastiveLoss(projections: odd, predictions: odd, support: s, temperature: 0.5)
        }
        expectError(.invalidArgument("nearestNeighbourContrastiveLoss: temperature must be a finite number ≥ 1e-30 "
                                     + "(smaller values overflow float32 logits), got 0.0")) {
            _ = try nearestNeighbourContrastiveLoss(projections: z, predictions: z, support: s, temperature: 0)
        }
        var values = try z.toArray()
        values[4] = .nan
        expectError(.invalidArgument("nearestNeighbours: u[1, 1] is nan; the input must be finite")) {
            _ = try nearestNeighbourContrastiveLoss(projections: Tensor(values, shape: [4, 3], on: .cpu), predictions: z,
                                                    support: s, temperature: 0.5).value()
        }
    }
}
