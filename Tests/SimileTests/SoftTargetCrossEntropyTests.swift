import Foundation
import Testing
@testable import Simile

/// SwAV's soft-target cross-entropy against float64 and finite differences.
@Suite struct SoftTargetCrossEntropyTests {
    @Test("loss and gradient match float64, for Sinkhorn-like targets and for rows not summing to 1",
          arguments: TestBackend.allCases, [Float(0.1), 1])
    func matchesReference(backend: TestBackend, temperature: Float) throws {
        guard let device = try backend.open() else { return }
        let (n, k) = (13, 40)
        let logits = randomValues(n * k, seed: 60)
        var targets = randomValues(n * k, seed: 61).map { ($0 + 1) / Float(k) }
        for c in 0..<k { targets[3 * k + c] *= 2.5 }
        let result = try softTargetCrossEntropy(logits: Tensor(logits, shape: [n, k], on: device),
                                                targets: Tensor(targets, shape: [n, k], on: device),
                                                temperature: temperature)
        let expected = Reference.softTargetCrossEntropy(logits: logits.map(Double.init), targets: targets.map(Double.init),
                                                        rows: n, cols: k, temperature: Double(temperature))
        expectClose([try result.value()], [expected.loss], tolerance: 1e-5, "\(backend) τ \(temperature) loss")
        expectClose(try result.logitGradient.toArray().map { $0 * Float(n) }, expected.gradient.map { $0 * Double(n) },
                    tolerance: 1e-5, "\(backend) τ \(temperature) gradient")
    }

    @Test("the gradient matches finite differences of the loss", arguments: TestBackend.allCases)
    func finiteDifferences(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let (n, k) = (3, 5)
        let logits = randomValues(n * k, seed: 62), targets = randomValues(n * k, seed: 63).map { ($0 + 1) / 2 }
        func loss(_ p: [Float]) throws -> Double {
            Double(try softTargetCrossEntropy(logits: Tensor(p, shape: [n, k], on: device),
                                              targets: Tensor(targets, shape: [n, k], on: device), temperature: 0.5)
                .value())
        }
        let gradient = try softTargetCrossEntropy(logits: Tensor(logits, shape: [n, k], on: device),
                                                  targets: Tensor(targets, shape: [n, k], on: device),
                                                  temperature: 0.5).logitGradient.toArray()
        let h: Float = 1e-2
        for index in 0..<(n * k) {
            var up = logits, down = logits
            up[index] += h
            down[index] -= h
            let numeric = (try loss(up) - loss(down)) / Double(2 * h)
            #expect(abs(numeric - Double(gradient[index])) <= 2e-3, "\(backend) element \(index)")
        }
    }

    @Test("large logits at a small temperature stay finite (the row's maximum is subtracted)", arguments: TestBackend.allCases)
    func noOverflow(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let result = try softTargetCrossEntropy(logits: Tensor([1, -1, 0.5, 0.25], shape: [2, 2], on: device),
                                                targets: Tensor([1, 0, 0.5, 0.5], shape: [2, 2], on: device),
                                                temperature: 0.001)
        let expected = Reference.softTargetCrossEntropy(logits: [1, -1, 0.5, 0.25], targets: [1, 0, 0.5, 0.5],
                                                        rows: 2, cols: 2, temperature: 0.001)
        expectClose([try result.value()], [expected.loss], tolerance: 1e-5, "\(backend)")
    }

    @Test("bad input is one clear error")
    func badInput() throws {
        let p = try Tensor.zeros([2, 3], on: .cpu)
        expectError(.shapeMismatch(op: "softTargetCrossEntropy", detail: "logits [2, 3] and targets [3, 3] differ in rows")) {
            _ = try softTargetCrossEntropy(logits: p, targets: Tensor.zeros([3, 3], on: .cpu))
        }
        expectError(.invalidArgument("softTargetCrossEntropy: temperature must be a finite number ≥ 1e-30 (smaller "
                                     + "values overflow float32 logits), got 0.0")) {
            _ = try softTargetCrossEntropy(logits: p, targets: p, temperature: 0)
        }
        expectError(.invalidArgument("softTargetCrossEntropy: logits has no rows (shape [0, 3]); at least 1 is needed")) {
            _ = try softTargetCrossEntropy(logits: Tensor.zeros([0, 3], on: .cpu), targets: Tensor.zeros([0, 3], on: .cpu))
        }
        var values = [Float](repeating: 0, count: 6)
        values[4] = .nan
        let result = try softTargetCrossEntropy(logits: p, targets: Tensor(values, shape: [2, 3], on: .cpu))
        expectError(.invalidArgument("softTargetCrossEntropy: targets[1, 1] is nan; the input must be finite")) {
            _ = try result.value()
        }
    }
}
