import Testing
@testable import Simile

@Suite struct LayerNormTests {
    /// [N, sample…]: one value per row (σ² = 0), CPC's patch maps, a row length that is no multiple of 16, a large one.
    static let shapes: [[Int]] = [[3, 1], [4, 8, 3, 3], [5, 300], [2, 64, 8, 8]]

    /// Inputs with an offset common to each row (a two-pass variance keeps it out of the squares), γ and β away
    /// from 1 and 0, and the upstream gradient.
    private func operands(_ shape: [Int], seed: UInt64) -> (x: [Float], gamma: [Float], beta: [Float], dy: [Float]) {
        let d = shape.dropFirst().reduce(1, *), count = shape.reduce(1, *)
        let x = randomValues(count, seed: seed).enumerated().map { $0.element + Float($0.offset / d) * 100 }
        return (x, randomValues(d, seed: seed + 1).map { 1 + $0 }, randomValues(d, seed: seed + 2),
                randomValues(count, seed: seed + 3))
    }

    @Test("forward and backward match float64", arguments: TestBackend.allCases, shapes)
    func matchesReference(backend: TestBackend, shape: [Int]) throws {
        guard let device = try backend.open() else { return }
        try check(on: device, shape: shape)
    }

    @Test("the work-group tree matches float64 on an OpenCL CPU device", arguments: [[4, 8, 3, 3], [2, 64, 8, 8]])
    func tree(shape: [Int]) throws {
        guard let shared = try TestBackend.opencl.open(), let info = shared.openCLInfo else { return }
        let device = Device(.opencl(try OpenCLBackend(info, reductionGroupSize: 256)))
        #expect(device.openCL?.shapes.reductionGroupSize == 256)
        try check(on: device, shape: shape)
    }

    private func check(on device: Device, shape: [Int]) throws {
        let n = shape[0], d = shape.dropFirst().reduce(1, *)
        let (x, gamma, beta, dy) = operands(shape, seed: UInt64(40 + shape.count))
        let sample = Array(shape.dropFirst())
        let g = try Tensor(gamma, shape: sample, on: device)
        let (y, statistics) = try layerNorm(Tensor(x, shape: shape, on: device), gamma: g,
                                            beta: Tensor(beta, shape: sample, on: device), eps: 1e-5)
        let expected = Reference.layerNorm(x.map(Double.init), n: n, d: d, gamma: gamma.map(Double.init),
                                           beta: beta.map(Double.init), eps: 1e-5)
        expectClose(try y.toArray(), expected.y, tolerance: 2e-4, "y")
        expectClose(try statistics.mean.toArray(), expected.mean, tolerance: 1e-5, "mean")
        expectClose(try statistics.inverseStd.toArray(), expected.inverseStd, tolerance: 1e-3, "1/σ")
        let grads = try layerNormBackward(Tensor(dy, shape: shape, on: device), input: Tensor(x, shape: shape, on: device),
                                          statistics: statistics, gamma: g)
        let reference = Reference.layerNormBackward(dy.map(Double.init), x.map(Double.init), n: n, d: d,
                                                    gamma: gamma.map(Double.init), eps: 1e-5)
        expectClose(try grads.input.toArray(), reference.dx, tolerance: 2e-3, "dx")
        expectClose(try grads.gamma.toArray(), reference.dgamma, tolerance: 2e-3, "dγ")
        expectClose(try grads.beta.toArray(), reference.dbeta, tolerance: 1e-4, "dβ")
    }

    @Test("backward matches finite differences of Σ y·dy", arguments: TestBackend.allCases)
    func finiteDifferenceCheck(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let shape = [2, 2, 2, 3], sample = [2, 2, 3]
        let (x, gamma, beta, dy) = operands(shape, seed: 50)
        func loss(_ x: [Float], _ gamma: [Float], _ beta: [Float]) throws -> Double {
            let y = try layerNorm(Tensor(x, shape: shape, on: device), gamma: Tensor(gamma, shape: sample, on: device),
                                  beta: Tensor(beta, shape: sample, on: device)).output.toArray()
            return zip(y, dy).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let input = try Tensor(x, shape: shape, on: device), g = try Tensor(gamma, shape: sample, on: device)
        let (_, statistics) = try layerNorm(input, gamma: g, beta: Tensor(beta, shape: sample, on: device))
        let grads = try layerNormBackward(Tensor(dy, shape: shape, on: device), input: input, statistics: statistics,
                                          gamma: g)
        expectClose(try grads.input.toArray(), try finiteDifferences(x, step: 1e-2) { try loss($0, gamma, beta) },
                    tolerance: 3e-3, "dx")
        expectClose(try grads.gamma.toArray(), try finiteDifferences(gamma, step: 1e-2) { try loss(x, $0, beta) },
                    tolerance: 3e-3, "dγ")
        expectClose(try grads.beta.toArray(), try finiteDifferences(beta, step: 1e-2) { try loss(x, gamma, $0) },
                    tolerance: 3e-3, "dβ")
    }

    @Test("the layer normalises each sample alone and accumulates dγ and dβ", arguments: TestBackend.allCases)
    func layer(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let norm = try LayerNorm([2, 3], on: device)
        let values = randomValues(12, seed: 60)
        // Each sample's output depends on that sample only: the second alone gives its rows of the pair's output.
        let (pair, record) = try norm.recordedForward(Tensor(values, shape: [2, 2, 3], on: device))
        let alone = try norm.forward(Tensor(Array(values[6...]), shape: [1, 2, 3], on: device)).toArray()
        expectClose(Array(try pair.toArray()[6...]), alone.map(Double.init), tolerance: 1e-6, "second sample alone")
        _ = try record.backward(Tensor.full([2, 2, 3], 1, on: device))
        expectClose(try #require(norm.bias.gradient).toArray(), [Double](repeating: 2, count: 6), tolerance: 1e-6, "dβ")
        #expect(norm.weight.gradient != nil)
        #expect(norm.namedParameters().map(\.name) == ["weight", "bias"])
    }

    @Test("bad input is one clear error")
    func badInput() throws {
        let gamma = try Tensor.full([3], 1, on: .cpu)
        expectError(.shapeMismatch(op: "layerNorm", detail: "x must be [N, …] with at least one axis after N, none "
                                   + "empty, got [4]")) {
            _ = try layerNorm(Tensor.zeros([4], on: .cpu), gamma: gamma, beta: gamma)
        }
        expectError(.shapeMismatch(op: "layerNorm", detail: "beta [2] must have the shape [3] of one sample of x [2, 3]")) {
            _ = try layerNorm(Tensor.zeros([2, 3], on: .cpu), gamma: gamma, beta: Tensor.zeros([2], on: .cpu))
        }
        for eps: Float in [0, -1, .nan, .infinity] {
            expectError(.invalidArgument("layerNorm: eps must be finite and > 0, got \(eps)")) {
                _ = try layerNorm(Tensor.zeros([2, 3], on: .cpu), gamma: gamma, beta: gamma, eps: eps)
            }
        }
        let (_, statistics) = try layerNorm(Tensor.zeros([2, 3], on: .cpu), gamma: gamma, beta: gamma)
        expectError(.shapeMismatch(op: "layerNormBackward", detail: "[2, 3] vs [1, 3]")) {
            _ = try layerNormBackward(Tensor.zeros([2, 3], on: .cpu), input: Tensor.zeros([1, 3], on: .cpu),
                                      statistics: statistics, gamma: gamma)
        }
        expectError(.invalidArgument("LayerNorm([0]): the normalised shape needs sizes ≥ 1")) {
            _ = try LayerNorm([0], on: .cpu)
        }
    }
}
