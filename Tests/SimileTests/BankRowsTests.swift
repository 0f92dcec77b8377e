import Foundation
import Testing
@testable import Simile

/// Gathering and momentum-updating bank rows at device-resident row numbers, against float64 loops.
@Suite struct BankRowsTests {
    static let indices = [3, 0, 3, 7, 1, 3, 6]

    @Test("gather returns the named rows, repeated ones too", arguments: TestBackend.allCases)
    func gather(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let (k, d) = (8, 5)
        let bank = randomValues(k * d, seed: 40)
        let rows = try RowIndices(Self.indices, rows: k, on: device)
        let out = try gatherRows(Tensor(bank, shape: [k, d], on: device), rows)
        #expect(out.shape == [Self.indices.count, d])
        #expect(try out.toArray() == Self.indices.flatMap { Array(bank[$0 * d ..< $0 * d + d]) })
    }

    @Test("the momentum update matches float64 applied in order, a row named three times included",
          arguments: TestBackend.allCases, [Float(0), 0.5, 1])
    func momentumUpdate(backend: TestBackend, momentum: Float) throws {
        guard let device = try backend.open() else { return }
        let (k, d) = (8, 37)
        let bank = randomValues(k * d, seed: 41), values = randomValues(Self.indices.count * d, seed: 42)
        var expected = bank.map(Double.init)
        for (j, row) in Self.indices.enumerated() {
            var squares = 0.0
            for c in 0..<d {
                let blended = Double(momentum) * expected[row * d + c] + (1 - Double(momentum)) * Double(values[j * d + c])
                expected[row * d + c] = blended
                squares += blended * blended
            }
            for c in 0..<d { expected[row * d + c] /= max(squares.squareRoot(), 1e-12) }
        }
        let tensor = try Tensor(bank, shape: [k, d], on: device)
        try momentumUpdateRows(tensor, RowIndices(Self.indices, rows: k, on: device),
                               values: Tensor(values, shape: [Self.indices.count, d], on: device), momentum: momentum)
        expectClose(try tensor.toArray(), expected, tolerance: 1e-5, "\(backend) momentum \(momentum)")
    }

    @Test("bad input is one clear error")
    func badInput() throws {
        let device = Device.cpu
        expectError(.invalidArgument("RowIndices: index 8 at position 2 is outside the bank's 8 rows")) {
            _ = try RowIndices([1, 2, 8], rows: 8, on: device)
        }
        expectError(.invalidArgument("RowIndices: index -1 at position 0 is outside the bank's 8 rows")) {
            _ = try RowIndices([-1], rows: 8, on: device)
        }
        expectError(.invalidArgument("RowIndices: a bank of 16777217 rows; row numbers are exact float32 integers, "
                                     + "so a bank may have 0 to 16777216 rows")) {
            _ = try RowIndices([], rows: (1 << 24) + 1, on: device)
        }
        let bank = try Tensor.zeros([4, 3], on: device)
        let rows = try RowIndices([0, 1], rows: 4, on: device)
        expectError(.shapeMismatch(op: "momentumUpdateRows", detail: "values must be [N, d] = [2, 3] for 2 indices "
                                   + "into a bank [4, 3], got [2, 4]")) {
            try momentumUpdateRows(bank, rows, values: Tensor.zeros([2, 4], on: device), momentum: 0.5)
        }
        for momentum in [Float.nan, -0.1, 1.5] {
            expectError(.invalidArgument("momentumUpdateRows: momentum must be in [0, 1], got \(momentum)")) {
                try momentumUpdateRows(bank, rows, values: Tensor.zeros([2, 3], on: device), momentum: momentum)
            }
        }
        expectError(.shapeMismatch(op: "gatherRows", detail: "indices checked against 4 rows index a bank [2, 3]")) {
            _ = try gatherRows(Tensor.zeros([2, 3], on: device), rows)
        }
    }
}
