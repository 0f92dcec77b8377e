import Testing
@testable import Simile

/// InstDisc's non-parametric softmax over a memory bank, its target a row of the bank.
@Suite struct BankSoftmaxLossTests {
    @Test("loss and dL/dq match float64 at τ 0.07 and 1, a target named twice, on every variant",
          arguments: memoryBankTargets)
    func matchesFloat64(backend: TestBackend, kernel: GemmKernel?) throws {
        guard let device = try backend.open() else { return }
        let d = 7
        for (n, k) in [(1, 1), (5, 9), (257, 1000)] {
            let q = randomValues(n * d, seed: UInt64(n + k)), bankValues = randomValues(k * d, seed: UInt64(3 * k))
            let targets = (0..<n).map { ($0 * 7 + 3) % k }
            let bank = try Tensor(bankValues, shape: [k, d], on: device)
            for temperature in [0.07, 1] as [Float] {
                let result = try bankSoftmaxLoss(queries: Tensor(q, shape: [n, d], on: device), bank: bank,
                                                 targets: RowIndices(targets, rows: k, on: device),
                                                 temperature: temperature, kernel: kernel)
                let expected = Reference.bankSoftmaxLoss(queries: q.map(Double.init), bank: bankValues.map(Double.init),
                                                         targets: targets, rows: n, bankRows: k, cols: d,
                                                         temperature: Double(temperature))
                let loss = Double(try result.value())
                #expect(abs(loss - expected.loss) <= 1e-5 * max(1, expected.loss), "N \(n) K \(k) τ \(temperature)")
                // A bank of one row has a zero gradient: float32's rounding of the target's two cosines (as the key
                // and as a bank row) leaves ~4e-7, checked against the scale 1/(Nτ) of a term instead.
                let largest = max(expected.queryGradient.map(abs).max()!, 1e-2 / Double(n) / Double(temperature))
                let error = zip(try result.queryGradient.toArray(), expected.queryGradient).map { abs(Double($0) - $1) }.max()!
                #expect(error <= 1e-4 * largest, "N \(n) K \(k) τ \(temperature): dq error \(error) of \(largest)")
            }
        }
    }

    @Test("dL/dq matches finite differences", arguments: memoryBankTargets)
    func finiteDifferenceCheck(backend: TestBackend, kernel: GemmKernel?) throws {
        guard let device = try backend.open() else { return }
        let (n, k, d) = (3, 5, 4)
        let q = randomValues(n * d, seed: 70)
        let bank = try Tensor(randomValues(k * d, seed: 71), shape: [k, d], on: device)
        let targets = try RowIndices([4, 0, 4], rows: k, on: device)
        func result(_ q: [Float]) throws -> InfoNCEResult {
            try bankSoftmaxLoss(queries: Tensor(q, shape: [n, d], on: device), bank: bank, targets: targets,
                                temperature: 0.5, kernel: kernel)
        }
        expectClose(try result(q).queryGradient.toArray(),
                    try finiteDifferences(q, step: 1e-2) { Double(try result($0).value()) }, tolerance: 2e-3, "dq")
    }

    @Test("bad input is one clear error")
    func badInput() throws {
        let q = try Tensor.uniform([2, 3], seed: 1, on: .cpu), bank = try Tensor.uniform([4, 3], seed: 2, on: .cpu)
        expectError(.shapeMismatch(op: "bankSoftmaxLoss", detail: "3 targets checked against 4 rows for queries [2, 3] "
                                   + "and a bank [4, 3]")) {
            _ = try bankSoftmaxLoss(queries: q, bank: bank, targets: RowIndices([0, 1, 2], rows: 4, on: .cpu))
        }
        expectError(.shapeMismatch(op: "bankSoftmaxLoss", detail: "2 targets checked against 9 rows for queries [2, 3] "
                                   + "and a bank [4, 3]")) {
            _ = try bankSoftmaxLoss(queries: q, bank: bank, targets: RowIndices([0, 8], rows: 9, on: .cpu))
        }
        expectError(.invalidArgument("bankSoftmaxLoss: temperature must be a finite number ≥ 1e-30 (smaller values "
                                     + "overflow float32 logits), got nan")) {
            _ = try bankSoftmaxLoss(queries: q, bank: bank, targets: RowIndices([0, 1], rows: 4, on: .cpu),
                                    temperature: .nan)
        }
        var values = try bank.toArray()
        values[5] = .infinity
        expectError(.invalidArgument("bankSoftmaxLoss: bank[1, 2] is inf; the input must be finite")) {
            _ = try bankSoftmaxLoss(queries: q, bank: Tensor(values, shape: [4, 3], on: .cpu),
                                    targets: RowIndices([0, 1], rows: 4, on: .cpu)).value()
        }
    }
}
