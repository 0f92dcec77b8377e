import Testing
@testable import Simile

@Suite struct PredictiveCodingTests {
    @Test("CPC's loss and gradients match a float64 reference over every step, position and target",
          arguments: TestBackend.allCases, [[2, 3, 4, 3], [3, 5, 3, 3], [1, 2, 5, 4]])
    func matchesReference(backend: TestBackend, shape: [Int]) throws {
        guard let device = try backend.open() else { return }
        let count = shape.reduce(1, *), steps = [1, 2, 3, 6]
        let (p, t) = (randomValues(count, seed: 120).map { $0 * 2 }, randomValues(count, seed: 121).map { $0 * 2 })
        let result = try predictiveCodingLoss(predictions: Tensor(p, shape: shape, on: device),
                                              targets: Tensor(t, shape: shape, on: device), steps: steps)
        let expected = Reference.predictiveCodingLoss(predictions: p.map(Double.init), targets: t.map(Double.init),
                                                      b: shape[0], d: shape[1], rows: shape[2], columns: shape[3],
                                                      steps: steps)
        expectClose([try result.value()], [expected.loss], tolerance: 1e-5, "loss")
        expectClose(try result.predictionGradient.toArray(), expected.predictions, tolerance: 1e-4, "dpredictions")
        expectClose(try result.targetGradient.toArray(), expected.targets, tolerance: 1e-4, "dtargets")
    }

    @Test("gradients match finite differences", arguments: TestBackend.allCases)
    func finiteDifferenceCheck(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let shape = [2, 2, 3, 2]
        let (p, t) = (randomValues(24, seed: 130), randomValues(24, seed: 131))
        func loss(_ p: [Float], _ t: [Float]) throws -> Double {
            Double(try predictiveCodingLoss(predictions: Tensor(p, shape: shape, on: device),
                                            targets: Tensor(t, shape: shape, on: device), steps: [1, 2]).value())
        }
        let result = try predictiveCodingLoss(predictions: Tensor(p, shape: shape, on: device),
                                              targets: Tensor(t, shape: shape, on: device), steps: [1, 2])
        expectClose(try result.predictionGradient.toArray(),
                    try finiteDifferences(p, step: 1e-2) { try loss($0, t) }, tolerance: 2e-3, "dpredictions")
        expectClose(try result.targetGradient.toArray(),
                    try finiteDifferences(t, step: 1e-2) { try loss(p, $0) }, tolerance: 2e-3, "dtargets")
    }

    @Test("bad input is one clear error")
    func badInput() throws {
        let x = try Tensor.zeros([2, 3, 4, 4], on: .cpu)
        for steps in [[], [0, 2], [4, 5]] {
            expectError(.invalidArgument("predictiveCodingLoss: steps \(steps) must be ≥ 1 and leave rows to predict in "
                                         + "a grid of 4 rows (targets [2, 3, 4, 4])")) {
                _ = try predictiveCodingLoss(predictions: x, targets: x, steps: steps)
            }
        }
        expectError(.shapeMismatch(op: "predictiveCodingLoss", detail: "[2, 3, 4, 3] vs [2, 3, 4, 4]")) {
            _ = try predictiveCodingLoss(predictions: Tensor.zeros([2, 3, 4, 3], on: .cpu), targets: x, steps: [2])
        }
    }
}

@Suite struct ContextNetworkTests {
    /// The mask: the gradient of output position (y, x) reaches input rows ≤ y only, and does reach row y and the
    /// rows above within the blocks' reach, one row per block (so the test would see a mask that hid too much as
    /// well as one that leaked). Positions where the final ReLU passes no channel have no gradient at all and are
    /// left out; most positions pass one.
    @Test("no output position depends on a row below it", arguments: TestBackend.allCases)
    func mask(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let (c, g) = (3, 5)
        let network = try ContextNetwork(channels: c, hidden: 8, blocks: 2, on: device, seed: 4)
        let x = randomValues(c * g * g, seed: 140)
        var checked = 0
        for y in 0..<g {
            for column in [0, 2, 4] {
                let (out, record) = try network.recordedForward(Tensor(x, shape: [1, c, g, g], on: device))
                #expect(out.shape == [1, c, g, g])
                let values = try out.toArray()
                guard (0..<c).contains(where: { values[($0 * g + y) * g + column] > 0 }) else { continue }
                checked += 1
                var upstream = [Float](repeating: 0, count: c * g * g)
                for channel in 0..<c { upstream[(channel * g + y) * g + column] = 1 }
                let dx = try record.backward(Tensor(upstream, shape: [1, c, g, g], on: device)).toArray()
                var rowMagnitude = [Float](repeating: 0, count: g)
                for channel in 0..<c {
                    for row in 0..<g {
                        for x in 0..<g { rowMagnitude[row] += abs(dx[(channel * g + row) * g + x]) }
                    }
                }
                #expect(rowMagnitude[(y + 1)...].allSatisfy { $0 == 0 }, "output (\(y), \(column)) sees rows below: \(rowMagnitude)")
                #expect(rowMagnitude[max(0, y - 2)...y].allSatisfy { $0 > 0 },
                        "output (\(y), \(column)) misses rows above: \(rowMagnitude)")
            }
        }
        #expect(checked >= 10, "only \(checked) of 15 positions pass the final ReLU")
    }
}
