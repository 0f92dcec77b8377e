import Testing
@testable import Simile

@Suite struct ElementwiseTests {
    /// 66049 = 257² crosses the CPU backend's threading threshold.
    static let counts = [1, 7, 33, 257, 66049]

    @Test("add, sub, mul, scale and axpy match float64", arguments: TestBackend.allCases, counts)
    func arithmetic(backend: TestBackend, count: Int) throws {
        guard let device = try backend.open() else { return }
        let a = randomValues(count, seed: 10), b = randomValues(count, seed: 11)
        let (a64, b64) = (a.map(Double.init), b.map(Double.init))
        let x = try Tensor(a, shape: [count], on: device), y = try Tensor(b, shape: [count], on: device)
        expectClose(try add(x, y).toArray(), zip(a64, b64).map(+), tolerance: 1e-7, "add")
        expectClose(try sub(x, y).toArray(), zip(a64, b64).map(-), tolerance: 1e-7, "sub")
        expectClose(try mul(x, y).toArray(), zip(a64, b64).map(*), tolerance: 1e-7, "mul")
        expectClose(try scale(x, by: -2.5).toArray(), a64.map { -2.5 * $0 }, tolerance: 1e-7, "scale")
        try axpy(0.75, x, y)
        expectClose(try y.toArray(), zip(a64, b64).map { 0.75 * $0 + $1 }, tolerance: 1e-7, "axpy")
    }

    @Test("relu and its backward match float64 and finite differences", arguments: TestBackend.allCases, counts)
    func reluForwardBackward(backend: TestBackend, count: Int) throws {
        guard let device = try backend.open() else { return }
        let values = randomValues(count, seed: 12), upstream = randomValues(count, seed: 13)
        let x = try Tensor(values, shape: [count], on: device)
        let dy = try Tensor(upstream, shape: [count], on: device)
        expectClose(try relu(x).toArray(), values.map { Double(max($0, 0)) }, tolerance: 0, "relu")
        let dx = try reluBackward(input: x, gradient: dy).toArray()
        expectClose(dx, zip(values, upstream).map { Double($0 > 0 ? $1 : 0) }, tolerance: 0, "reluBackward")
        guard count <= 33 else { return }
        let numeric = try finiteDifferences(values, step: 1e-3) { probe in
            let out = try relu(Tensor(probe, shape: [count], on: device)).toArray()
            return zip(out, upstream).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        expectClose(dx, numeric, tolerance: 1e-3, "reluBackward vs finite differences")
    }

    @Test("the subgradient of relu at 0 is 0 and NaN propagates, as in PyTorch", arguments: TestBackend.allCases)
    func reluAtZero(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let forward = try relu(Tensor([.nan, -1, 2], shape: [3], on: device)).toArray()
        #expect(forward[0].isNaN && forward[1] == 0 && forward[2] == 2)
        let x = try Tensor([0, -0.0, 1e-30, -1e-30], shape: [4], on: device)
        let dy = try Tensor([1, 1, 1, 1], shape: [4], on: device)
        #expect(try reluBackward(input: x, gradient: dy).toArray() == [0, 0, 1, 0])
    }

    @Test("mismatched shapes name both shapes")
    func shapeMismatch() throws {
        let a = try Tensor.zeros([2, 3], on: .cpu), b = try Tensor.zeros([3, 2], on: .cpu)
        expectError(.shapeMismatch(op: "add", detail: "[2, 3] vs [3, 2]")) { _ = try add(a, b) }
        expectError(.shapeMismatch(op: "axpy", detail: "[2, 3] vs [3, 2]")) { try axpy(1, a, b) }
        expectError(.shapeMismatch(op: "reluBackward", detail: "[2, 3] vs [3, 2]")) {
            _ = try reluBackward(input: a, gradient: b)
        }
    }
}
