import Testing
@testable import Simile

@Suite struct LinearTests {
    static let shapes: [(batch: Int, inputs: Int, outputs: Int)] = [(1, 1, 1), (7, 3, 5), (33, 65, 17)]

    @Test("linear forward and backward match float64", arguments: TestBackend.allCases, shapes)
    func matchesReference(backend: TestBackend, shape: (batch: Int, inputs: Int, outputs: Int)) throws {
        guard let device = try backend.open() else { return }
        let (n, i, o) = shape
        let xs = randomValues(n * i, seed: 60), ws = randomValues(o * i, seed: 61)
        let bs = randomValues(o, seed: 62), dys = randomValues(n * o, seed: 63)
        let x = try Tensor(xs, shape: [n, i], on: device), w = try Tensor(ws, shape: [o, i], on: device)
        let b = try Tensor(bs, shape: [o], on: device), dy = try Tensor(dys, shape: [n, o], on: device)
        let (x64, w64, dy64) = (xs.map(Double.init), ws.map(Double.init), dys.map(Double.init))
        let broadcast = (0..<n * o).map { Double(bs[$0 % o]) }
        let expected = Reference.gemm(x64, [n, i], w64, [o, i], broadcast, transposeA: false, transposeB: true,
                                      alpha: 1, beta: 1)
        expectClose(try linear(x, weight: w, bias: b).toArray(), expected, tolerance: 1e-5, "y")
        let noBias = Reference.gemm(x64, [n, i], w64, [o, i], [], transposeA: false, transposeB: true, alpha: 1, beta: 0)
        expectClose(try linear(x, weight: w, bias: nil).toArray(), noBias, tolerance: 1e-5, "y without bias")

        let grads = try linearBackward(dy, input: x, weight: w, hasBias: true)
        expectClose(try grads.input.toArray(),
                    Reference.gemm(dy64, [n, o], w64, [o, i], [], transposeA: false, transposeB: false, alpha: 1, beta: 0),
                    tolerance: 1e-5, "dx")
        expectClose(try grads.weight.toArray(),
                    Reference.gemm(dy64, [n, o], x64, [n, i], [], transposeA: true, transposeB: false, alpha: 1, beta: 0),
                    tolerance: 1e-5, "dW")
        expectClose(try #require(grads.bias).toArray(), Reference.sumAxis(dy64, outer: 1, n: n, inner: o),
                    tolerance: 1e-5, "db")
    }

    @Test("the Linear layer's gradients match finite differences", arguments: TestBackend.allCases)
    func finiteDifferenceCheck(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        var generator = SeededGenerator(seed: 64)
        let layer = try Linear(4, 3, on: device, generator: &generator)
        let xs = randomValues(2 * 4, seed: 65), upstream = randomValues(2 * 3, seed: 66)
        let x = try Tensor(xs, shape: [2, 4], on: device)
        let dx = try layer.recordedForward(x).record.backward(Tensor(upstream, shape: [2, 3], on: device))
        func objective(_ y: Tensor) throws -> Double {
            zip(try y.toArray(), upstream).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let numericX = try finiteDifferences(xs, step: 1e-2) { probe in
            try objective(linear(Tensor(probe, shape: [2, 4], on: device), weight: layer.weight.value, bias: layer.bias?.value))
        }
        expectClose(try dx.toArray(), numericX, tolerance: 1e-3, "dx")
        let ws = try layer.weight.value.toArray()
        let numericW = try finiteDifferences(ws, step: 1e-2) { probe in
            try objective(linear(x, weight: Tensor(probe, shape: [3, 4], on: device), bias: layer.bias?.value))
        }
        expectClose(try #require(layer.weight.gradient).toArray(), numericW, tolerance: 1e-3, "dW")
    }

    @Test("a second backward pass adds to the gradients", arguments: TestBackend.allCases)
    func accumulates(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        var generator = SeededGenerator(seed: 67)
        let layer = try Linear(3, 2, on: device, generator: &generator)
        let x = try Tensor(randomValues(6, seed: 68), shape: [2, 3], on: device)
        let dy = try Tensor(randomValues(4, seed: 69), shape: [2, 2], on: device)
        _ = try layer.recordedForward(x).record.backward(dy)
        let once = try #require(layer.bias?.gradient).toArray()
        _ = try layer.recordedForward(x).record.backward(dy)
        expectClose(try #require(layer.bias?.gradient).toArray(), once.map { 2 * Double($0) }, tolerance: 1e-6, "db twice")
    }

    @Test("bad input names the layer and the shapes")
    func badInput() throws {
        var generator = SeededGenerator(seed: 70)
        let model = Sequential([try Linear(3, 4, on: .cpu, generator: &generator), ReLU(),
                                try Linear(5, 2, on: .cpu, generator: &generator)])
        #expect(model.namedParameters().map(\.name) == ["0.weight", "0.bias", "2.weight", "2.bias"])
        let x = try Tensor.zeros([2, 3], on: .cpu)
        expectError(.inLayer(path: "2", error: .shapeMismatch(
            op: "linear", detail: "x [2, 4] has 4 features but weight [2, 5] expects 5"))) { _ = try model.forward(x) }
        expectError(.shapeMismatch(op: "linear", detail: "x must be 2-D, got shape [3]")) {
            _ = try linear(Tensor.zeros([3], on: .cpu), weight: Tensor.zeros([2, 3], on: .cpu), bias: nil)
        }
    }
}
