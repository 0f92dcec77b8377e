import Foundation
import Testing
@testable import Simile

/// InstDisc's and PIRL's NCE against a memory bank: its float64 definition, its first-batch normaliser kept for later
/// batches, finite differences and bad input.
@Suite struct NCELossTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let queries: Int, noise: Int, bankRows: Int, d: Int
        var testDescription: String { "B \(queries), K \(noise), n \(bankRows), d \(d)" }
    }

    static let cases = [Case(queries: 1, noise: 1, bankRows: 1, d: 3), Case(queries: 5, noise: 7, bankRows: 20, d: 3),
                        Case(queries: 64, noise: 300, bankRows: 1000, d: 16),
                        Case(queries: 130, noise: 1000, bankRows: 700, d: 32)]

    /// Noise drawn with replacement (repeats) and the first query's target among it; the normaliser estimated by
    /// the first batch and kept, unchanged, for a second batch of other queries.
    @Test("loss, dL/dq and log Z match float64 at τ 0.07, 1 and 0.01, Z kept after the first batch",
          arguments: AugmentTarget.all, Self.cases)
    func matchesFloat64(backend: AugmentTarget, problem: Case) throws {
        guard let device = try backend.open() else { return }
        let (b, k, n, d) = (problem.queries, problem.noise, problem.bankRows, problem.d)
        var generator = SeededGenerator(seed: UInt64(b * k + n))
        let targets = (0..<b).map { _ in Int.random(in: 0..<n, using: &generator) }
        let negatives = [targets[0]] + (1..<k).map { _ in Int.random(in: 0..<n, using: &generator) }
        let bankValues = randomValues(n * d, seed: UInt64(n))
        let bank = try Tensor(bankValues, shape: [n, d], on: device)
        for temperature in [0.07, 1, 0.01] as [Float] {
            let normaliser = try nceNormaliser(on: device)
            var logZ: Double? = nil
            for batch in 0..<2 {
                let q = randomValues(b * d, seed: UInt64(b + 10 * batch))
                let expected = Reference.bankNCELoss(queries: q.map(Double.init), bank: bankValues.map(Double.init),
                                                     targets: targets, negatives: negatives, rows: b, bankRows: n,
                                                     cols: d, temperature: Double(temperature), logNormaliser: logZ)
                let result = try bankNCELoss(queries: Tensor(q, shape: [b, d], on: device), bank: bank,
                                             targets: RowIndices(targets, rows: n, on: device),
                                             negatives: RowIndices(negatives, rows: n, on: device),
                                             temperature: temperature, normaliser: normaliser)
                let label = "\(backend) \(problem) τ \(temperature) batch \(batch)"
                let loss = Double(try result.value())
                #expect(abs(loss - expected.loss) <= 1e-5 * max(1, expected.loss), "\(label): \(loss) against \(expected.loss)")
                let state = try normaliser.toArray()
                #expect(state[0] == 1 && abs(Double(state[1]) - expected.logNormaliser) <= 1e-5 * max(1, abs(expected.logNormaliser)),
                        "\(label): log Z \(state[1]) against \(expected.logNormaliser)")
                // With one bank row, the first batch's target and noise are one row at x = 0, whose gradient,
                // σ(x) − σ(−x), is 0: checked against the scale 1/(Bτ) of a term instead.
                let largest = max(expected.queryGradient.map(abs).max()!, 1e-2 / Double(b) / Double(temperature))
                let error = zip(try result.gradient.toArray(), expected.queryGradient).map { abs(Double($0) - $1) }.max()!
                #expect(error <= 1e-4 * largest, "\(label): dq error \(error) of \(largest)")
                logZ = expected.logNormaliser
            }
        }
    }

    @Test("dL/dq matches central differences of the float64 loss", arguments: TestBackend.allCases)
    func finiteDifferenceCheck(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let (b, n, d, temperature, logZ) = (3, 6, 4, 0.5, 2.5)
        let (targets, negatives) = ([4, 0, 4], [1, 2, 2, 5, 4])
        let q = randomValues(b * d, seed: 72).map(Double.init), bankValues = randomValues(n * d, seed: 73)
        let gradient = try bankNCELoss(queries: Tensor(q.map(Float.init), shape: [b, d], on: device),
                                       bank: Tensor(bankValues, shape: [n, d], on: device),
                                       targets: RowIndices(targets, rows: n, on: device),
                                       negatives: RowIndices(negatives, rows: n, on: device),
                                       temperature: Float(temperature),
                                       normaliser: Tensor([1, Float(logZ)], shape: [2], on: device)).gradient.toArray()
        func loss(_ q: [Double]) -> Double {
            Reference.bankNCELoss(queries: q, bank: bankValues.map(Double.init), targets: targets, negatives: negatives,
                                  rows: b, bankRows: n, cols: d, temperature: temperature, logNormaliser: logZ).loss
        }
        let h = 1e-6
        let numeric = (0..<b * d).map { i -> Double in
            var (plus, minus) = (q, q)
            plus[i] += h
            minus[i] -= h
            return (loss(plus) - loss(minus)) / (2 * h)
        }
        expectClose(gradient, numeric, tolerance: 1e-4, "\(backend)")
    }

    @Test("bad input is one clear error; a non-finite bank is reported by value()", arguments: TestBackend.allCases)
    func badInput(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let q = try Tensor.uniform([2, 3], seed: 1, on: device), bank = try Tensor.uniform([4, 3], seed: 2, on: device)
        let targets = try RowIndices([0, 1], rows: 4, on: device), normaliser = try nceNormaliser(on: device)
        expectError(.shapeMismatch(op: "bankNCELoss", detail: "2 targets and 0 negatives (at least 1) checked against 4 "
                                   + "and 4 rows for queries [2, 3] and a bank [4, 3]")) {
            _ = try bankNCELoss(queries: q, bank: bank, targets: targets, negatives: RowIndices([], rows: 4, on: device),
                                normaliser: normaliser)
        }
        expectError(.shapeMismatch(op: "bankNCELoss", detail: "2 targets and 1 negatives (at least 1) checked against 4 "
                                   + "and 9 rows for queries [2, 3] and a bank [4, 3]")) {
            _ = try bankNCELoss(queries: q, bank: bank, targets: targets, negatives: RowIndices([8], rows: 9, on: device),
                                normaliser: normaliser)
        }
        let negatives = try RowIndices([3, 3], rows: 4, on: device)
        expectError(.shapeMismatch(op: "bankNCELoss", detail: "normaliser must be [2] (estimated, log Z), got [1]")) {
            _ = try bankNCELoss(queries: q, bank: bank, targets: targets, negatives: negatives,
                                normaliser: Tensor.zeros([1], on: device))
        }
        expectError(.invalidArgument("bankNCELoss: temperature must be a finite number ≥ 1e-30 (smaller values "
                                     + "overflow float32 logits), got -1.0")) {
            _ = try bankNCELoss(queries: q, bank: bank, targets: targets, negatives: negatives, temperature: -1,
                                normaliser: normaliser)
        }
        var values = try bank.toArray()
        values[4] = .nan
        expectError(.invalidArgument("bankNCELoss: bank[1, 1] is nan; the input must be finite")) {
            _ = try bankNCELoss(queries: q, bank: Tensor(values, shape: [4, 3], on: device), targets: targets,
                                negatives: negatives, normaliser: normaliser).value()
        }
    }
}
