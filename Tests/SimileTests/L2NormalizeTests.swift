import Testing
@testable import Simile

@Suite struct L2NormalizeTests {
    static let shapes: [(rows: Int, cols: Int)] = [(1, 1), (7, 3), (33, 257), (257, 33), (3, 2048)]

    @Test("forward and backward match float64", arguments: TestBackend.allCases, shapes)
    func matchesReference(backend: TestBackend, shape: (rows: Int, cols: Int)) throws {
        guard let device = try backend.open() else { return }
        let (rows, cols) = shape
        let values = randomValues(rows * cols, seed: 30), upstream = randomValues(rows * cols, seed: 31)
        let x = try Tensor(values, shape: [rows, cols], on: device)
        let (y, norms) = try l2Normalize(x)
        let expected = Reference.l2Normalize(values.map(Double.init), rows: rows, cols: cols, eps: 1e-12)
        expectClose(try y.toArray(), expected.y, tolerance: 1e-6, "y")
        expectClose(try norms.toArray(), expected.norms, tolerance: 1e-6, "norms")
        let dx = try l2NormalizeBackward(y: y, norms: norms, gradient: Tensor(upstream, shape: [rows, cols], on: device))
        let expectedDx = Reference.l2NormalizeBackward(values.map(Double.init), upstream.map(Double.init),
                                                       rows: rows, cols: cols, eps: 1e-12)
        expectClose(try dx.toArray(), expectedDx, tolerance: 1e-5, "dx")
    }

    @Test("backward matches finite differences", arguments: TestBackend.allCases)
    func finiteDifferenceCheck(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let (rows, cols) = (3, 5)
        let values = randomValues(rows * cols, seed: 32), upstream = randomValues(rows * cols, seed: 33)
        let x = try Tensor(values, shape: [rows, cols], on: device)
        let (y, norms) = try l2Normalize(x)
        let dx = try l2NormalizeBackward(y: y, norms: norms, gradient: Tensor(upstream, shape: [rows, cols], on: device))
        let numeric = try finiteDifferences(values, step: 1e-2) { probe in
            let out = try l2Normalize(Tensor(probe, shape: [rows, cols], on: device)).y.toArray()
            return zip(out, upstream).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        expectClose(try dx.toArray(), numeric, tolerance: 2e-3, "dx vs finite differences")
    }

    @Test("a zero row is clamped to eps, as F.normalize does", arguments: TestBackend.allCases)
    func zeroRow(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let x = try Tensor([0, 0, 3, 4], shape: [2, 2], on: device)
        let (y, norms) = try l2Normalize(x, eps: 1e-6)
        #expect(try y.toArray() == [0, 0, 0.6, 0.8])
        #expect(try norms.toArray() == [1e-6, 5])
        let dx = try l2NormalizeBackward(y: y, norms: norms, gradient: Tensor([1, 2, 1, 0], shape: [2, 2], on: device),
                                         eps: 1e-6).toArray()
        expectClose(dx, Reference.l2NormalizeBackward([0, 0, 3, 4], [1, 2, 1, 0], rows: 2, cols: 2, eps: 1e-6),
                    tolerance: 1e-6, "clamped dx")
    }

    @Test("bad input is one clear error")
    func badInput() throws {
        expectError(.shapeMismatch(op: "l2Normalize", detail: "x must be 2-D, got shape [4]")) {
            _ = try l2Normalize(Tensor.zeros([4], on: .cpu))
        }
        expectError(.invalidArgument("l2Normalize: eps must be > 0, got 0.0")) {
            _ = try l2Normalize(Tensor.zeros([1, 4], on: .cpu), eps: 0)
        }
    }
}
