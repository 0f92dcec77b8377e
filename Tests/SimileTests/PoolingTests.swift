import Testing
@testable import Simile

/// One pooling configuration: input shape [N, C, H, W], square window, stride, padding.
struct PoolCase: Sendable, CustomTestStringConvertible {
    let shape: [Int], kernel: Int, stride: Int, padding: Int
    var testDescription: String { "\(shape) k\(kernel) s\(stride) p\(padding)" }
    var count: Int { shape.reduce(1, *) }
    var outputCount: Int {
        let out = Reference.poolOutputSize(shape, kernelSize: kernel, stride: stride, padding: padding)
        return shape[0] * shape[1] * out.height * out.width
    }
}

@Suite struct PoolingTests {
    static let cases = [
        PoolCase(shape: [1, 3, 7, 5], kernel: 3, stride: 2, padding: 1),  // the ResNet stem's max-pool
        PoolCase(shape: [2, 4, 9, 9], kernel: 3, stride: 2, padding: 1),
        PoolCase(shape: [2, 4, 9, 9], kernel: 3, stride: 1, padding: 1),
        PoolCase(shape: [1, 3, 7, 5], kernel: 3, stride: 1, padding: 0),
        PoolCase(shape: [1, 3, 7, 5], kernel: 2, stride: 2, padding: 0),
        PoolCase(shape: [2, 4, 9, 9], kernel: 2, stride: 1, padding: 1),
        PoolCase(shape: [1, 3, 7, 5], kernel: 1, stride: 1, padding: 0),
        PoolCase(shape: [3, 2, 6, 11], kernel: 1, stride: 2, padding: 0),
        PoolCase(shape: [1, 1, 3, 3], kernel: 3, stride: 2, padding: 0),
    ]

    @Test("max pooling forward and backward match float64", arguments: TestBackend.allCases, cases)
    func maxPoolMatchesReference(backend: TestBackend, pool: PoolCase) throws {
        guard let device = try backend.open() else { return }
        try checkMaxPool(randomValues(pool.count, seed: 40), pool, on: device)
    }

    @Test("average pooling forward and backward match float64", arguments: TestBackend.allCases, cases)
    func avgPoolMatchesReference(backend: TestBackend, pool: PoolCase) throws {
        guard let device = try backend.open() else { return }
        let values = randomValues(pool.count, seed: 42), upstream = randomValues(pool.outputCount, seed: 43)
        let (k, s, p) = (pool.kernel, pool.stride, pool.padding)
        let y = try avgPool2d(Tensor(values, shape: pool.shape, on: device), kernelSize: k, stride: s, padding: p)
        let expected = Reference.avgPool2d(values.map(Double.init), shape: pool.shape, kernelSize: k, stride: s, padding: p)
        expectClose(try y.toArray(), expected, tolerance: 1e-6, "y")
        let dx = try avgPool2dBackward(Tensor(upstream, shape: y.shape, on: device), inputShape: pool.shape,
                                       kernelSize: k, stride: s, padding: p)
        #expect(dx.shape == pool.shape)
        let expectedDx = Reference.avgPool2dBackward(upstream.map(Double.init), inputShape: pool.shape,
                                                     kernelSize: k, stride: s, padding: p)
        expectClose(try dx.toArray(), expectedDx, tolerance: 1e-6, "dx")
    }

    @Test("global average pooling forward and backward match float64", arguments: TestBackend.allCases,
          [[1, 3, 7, 5], [2, 4, 9, 9], [4, 5, 4, 4], [2, 3, 1, 1], [1, 2, 33, 65]])
    func globalAvgPoolMatchesReference(backend: TestBackend, shape: [Int]) throws {
        guard let device = try backend.open() else { return }
        let values = randomValues(shape.reduce(1, *), seed: 44), upstream = randomValues(shape[0] * shape[1], seed: 45)
        let y = try globalAvgPool(Tensor(values, shape: shape, on: device))
        #expect(y.shape == [shape[0], shape[1]])
        expectClose(try y.toArray(), Reference.globalAvgPool(values.map(Double.init), shape: shape), tolerance: 1e-6, "y")
        let dx = try globalAvgPoolBackward(Tensor(upstream, shape: y.shape, on: device), inputShape: shape)
        #expect(dx.shape == shape)
        expectClose(try dx.toArray(), Reference.globalAvgPoolBackward(upstream.map(Double.init), inputShape: shape),
                    tolerance: 1e-6, "dx")
    }

    @Test("max pooling ties pick the first maximum; overlapping windows accumulate", arguments: TestBackend.allCases)
    func ties(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        var generator = SeededGenerator(seed: 46)
        let few = (0..<2 * 4 * 9 * 9).map { _ in Float(Int(generator.nextUnitFloat() * 3)) }
        for pool in [PoolCase(shape: [2, 4, 9, 9], kernel: 3, stride: 1, padding: 1),
                     PoolCase(shape: [2, 4, 9, 9], kernel: 3, stride: 2, padding: 1)] {
            try checkMaxPool(few, pool, on: device)
            try checkMaxPool([Float](repeating: 1, count: pool.count), pool, on: device)
            try checkMaxPool([Float](repeating: -.infinity, count: pool.count), pool, on: device)
        }
    }

    @Test("max pooling propagates NaN as PyTorch does", arguments: TestBackend.allCases)
    func nan(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        var values = randomValues(1 * 3 * 7 * 5, seed: 47)
        for index in [0, 6, 7, 18, 40, 41, 104] { values[index] = .nan }
        try checkMaxPool(values, PoolCase(shape: [1, 3, 7, 5], kernel: 3, stride: 2, padding: 1), on: device)
        try checkMaxPool(values, PoolCase(shape: [1, 3, 7, 5], kernel: 2, stride: 1, padding: 0), on: device)
    }

    @Test("backward passes match finite differences", arguments: TestBackend.allCases)
    func finiteDifferenceCheck(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let shape = [1, 2, 5, 6], count = 60
        // Distinct values at least 0.03 apart, so a ±0.01 step never changes which element a max window picks.
        var generator = SeededGenerator(seed: 48)
        let values = (0..<count).map { Float($0) * 0.03 - 0.9 }.shuffled(using: &generator)
        for (k, s, p) in [(3, 2, 1), (2, 1, 0)] {
            let outShape = try maxPool2d(Tensor.zeros(shape, on: device), kernelSize: k, stride: s, padding: p).output.shape
            let upstream = randomValues(outShape.reduce(1, *), seed: 49)
            let dy = try Tensor(upstream, shape: outShape, on: device)
            func loss(_ out: Tensor) throws -> Double { zip(try out.toArray(), upstream).reduce(0) { $0 + Double($1.0) * Double($1.1) } }

            let (_, argmax) = try maxPool2d(Tensor(values, shape: shape, on: device), kernelSize: k, stride: s, padding: p)
            let maxNumeric = try finiteDifferences(values, step: 1e-2) { probe in
                try loss(maxPool2d(Tensor(probe, shape: shape, on: device), kernelSize: k, stride: s, padding: p).output)
            }
            expectClose(try maxPool2dBackward(dy, argmax: argmax, inputShape: shape).toArray(), maxNumeric,
                        tolerance: 2e-3, "max dx vs finite differences")

            let avgNumeric = try finiteDifferences(values, step: 1e-2) { probe in
                try loss(avgPool2d(Tensor(probe, shape: shape, on: device), kernelSize: k, stride: s, padding: p))
            }
            expectClose(try avgPool2dBackward(dy, inputShape: shape, kernelSize: k, stride: s, padding: p).toArray(),
                        avgNumeric, tolerance: 2e-3, "avg dx vs finite differences")
        }
        let upstream = randomValues(2, seed: 50)
        let globalNumeric = try finiteDifferences(values, step: 1e-2) { probe in
            zip(try globalAvgPool(Tensor(probe, shape: shape, on: device)).toArray(), upstream)
                .reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let globalDx = try globalAvgPoolBackward(Tensor(upstream, shape: [1, 2], on: device), inputShape: shape)
        expectClose(try globalDx.toArray(), globalNumeric, tolerance: 2e-3, "global dx vs finite differences")
    }

    @Test("bad input is one clear error")
    func badInput() throws {
        let x = try Tensor.zeros([1, 1, 4, 4], on: .cpu)
        expectError(.shapeMismatch(op: "maxPool2d", detail: "x must be 4-D [N, C, H, W] with H, W ≥ 1, got [4, 4]")) {
            _ = try maxPool2d(Tensor.zeros([4, 4], on: .cpu), kernelSize: 2, stride: 2)
        }
        expectError(.shapeMismatch(op: "avgPool2d", detail: "x must be 4-D [N, C, H, W] with H, W ≥ 1, got [1, 1, 0, 4]")) {
            _ = try avgPool2d(Tensor.zeros([1, 1, 0, 4], on: .cpu), kernelSize: 1, stride: 1)
        }
        for (k, s, p) in [(0, 1, 0), (2, 0, 0), (2, 1, -1), (3, 1, 2)] {
            expectError(.invalidArgument("maxPool2d: need kernelSize ≥ 1, stride ≥ 1 and 0 ≤ padding ≤ kernelSize / 2, "
                                         + "got kernelSize \(k), stride \(s), padding \(p) for x [1, 1, 4, 4]")) {
                _ = try maxPool2d(x, kernelSize: k, stride: s, padding: p)
            }
        }
        expectError(.shapeMismatch(op: "avgPool2d", detail: "window 7×7 is larger than x [1, 1, 4, 4] padded by 1")) {
            _ = try avgPool2d(x, kernelSize: 7, stride: 1, padding: 1)
        }
        let dy = try Tensor.zeros([1, 1, 2, 2], on: .cpu)
        expectError(.shapeMismatch(op: "maxPool2dBackward", detail: "dy [1, 1, 2, 2] must be [N, C, OH, OW] for inputShape [2, 1, 4, 4]")) {
            _ = try maxPool2dBackward(dy, argmax: dy, inputShape: [2, 1, 4, 4])
        }
        expectError(.shapeMismatch(op: "maxPool2dBackward", detail: "argmax [1, 1, 2, 3] does not match dy [1, 1, 2, 2]")) {
            _ = try maxPool2dBackward(dy, argmax: Tensor.zeros([1, 1, 2, 3], on: .cpu), inputShape: [1, 1, 4, 4])
        }
        expectError(.shapeMismatch(op: "maxPool2dBackward", detail: "inputShape must be 4-D [N, C, H, W] with H, W ≥ 1, got [1, 4, 4]")) {
            _ = try maxPool2dBackward(dy, argmax: dy, inputShape: [1, 4, 4])
        }
        expectError(.invalidArgument("maxPool2dBackward: planes of inputShape [1, 1, 4097, 4097] have 16785409 elements; "
                                     + "argmax indices are exact only up to 2^24")) {
            _ = try maxPool2dBackward(dy, argmax: dy, inputShape: [1, 1, 4097, 4097])
        }
        expectError(.shapeMismatch(op: "avgPool2dBackward", detail: "dy [1, 1, 2, 2] is not the output shape [1, 1, 3, 3] of input "
                                   + "[1, 1, 4, 4] with kernelSize 2, stride 1, padding 0")) {
            _ = try avgPool2dBackward(dy, inputShape: [1, 1, 4, 4], kernelSize: 2, stride: 1)
        }
        expectError(.shapeMismatch(op: "globalAvgPool", detail: "x must be 4-D [N, C, H, W] with H, W ≥ 1, got [1, 1, 4]")) {
            _ = try globalAvgPool(Tensor.zeros([1, 1, 4], on: .cpu))
        }
        expectError(.shapeMismatch(op: "globalAvgPoolBackward", detail: "dy [1, 1, 2, 2] must be [N, C] = [1, 1] for inputShape [1, 1, 4, 4]")) {
            _ = try globalAvgPoolBackward(dy, inputShape: [1, 1, 4, 4])
        }
    }

    @Test("operands on different devices are an error")
    func deviceMismatch() throws {
        guard let device = try TestBackend.opencl.open() else { return }
        let dy = try Tensor.zeros([1, 1, 2, 2], on: .cpu), argmax = try Tensor.zeros([1, 1, 2, 2], on: device)
        expectError(.deviceMismatch(op: "maxPool2dBackward", detail: "\(dy) and \(argmax)")) {
            _ = try maxPool2dBackward(dy, argmax: argmax, inputShape: [1, 1, 4, 4])
        }
    }

    /// Max pooling of `values` on `device` against the float64 reference: y and argmax exactly (NaN where the
    /// reference has NaN), dx within float rounding of the accumulated sums.
    private func checkMaxPool(_ values: [Float], _ pool: PoolCase, on device: Device,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (k, s, p) = (pool.kernel, pool.stride, pool.padding)
        let (y, argmax) = try maxPool2d(Tensor(values, shape: pool.shape, on: device), kernelSize: k, stride: s, padding: p)
        let expected = Reference.maxPool2d(values.map(Double.init), shape: pool.shape, kernelSize: k, stride: s, padding: p)
        #expect(y.shape == argmax.shape, sourceLocation: sourceLocation)
        #expect(y.count == expected.y.count, sourceLocation: sourceLocation)
        let same = zip(try y.toArray(), expected.y).allSatisfy { $0.isNaN ? $1.isNaN : Double($0) == $1 }
        #expect(same, "y differs from the reference for \(pool.testDescription)", sourceLocation: sourceLocation)
        #expect(try argmax.toArray() == expected.argmax.map(Float.init), "argmax for \(pool.testDescription)",
                sourceLocation: sourceLocation)
        let upstream = randomValues(y.count, seed: 41)
        let dx = try maxPool2dBackward(Tensor(upstream, shape: y.shape, on: device), argmax: argmax, inputShape: pool.shape)
        let expectedDx = Reference.maxPool2dBackward(values.map(Double.init), upstream.map(Double.init), shape: pool.shape,
                                                     kernelSize: k, stride: s, padding: p)
        expectClose(try dx.toArray(), expectedDx, tolerance: 1e-6, "dx for \(pool.testDescription)", sourceLocation: sourceLocation)
    }
}
