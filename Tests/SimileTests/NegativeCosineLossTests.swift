import Testing
@testable import Simile

@Suite struct NegativeCosineLossTests {
    /// Every (form, swapHalves) pair.
    static let variants: [(NegativeCosineForm, Bool)] = NegativeCosineForm.allCases.flatMap { [($0, false), ($0, true)] }

    /// p = [(2, 0), (0, 1)] and z = [(3, 0), (0, 5)], worked by hand. Paired row by row, each pair is parallel:
    /// c = 1, so the loss is −1 (negative cosine) or 0 (BYOL), and ẑ − c p̂ = 0 gives dp = 0. With the halves
    /// swapped each pair is orthogonal: c = 0, the loss is 0 or 2, and dp_i = (dℓ/dc)/N · ẑ_π(i)/‖p_i‖ with
    /// dℓ/dc = −1 or −2, N = 2: dp_0 = (dℓ/dc) (0, 1/4), dp_1 = (dℓ/dc) (1/2, 0).
    static let handP: [Float] = [2, 0, 0, 1], handZ: [Float] = [3, 0, 0, 5]

    static func hand(_ form: NegativeCosineForm, swapHalves: Bool) -> (loss: Double, dp: [Double]) {
        let slope = form == .byol ? -2.0 : -1.0
        if !swapHalves { return (form == .byol ? 0 : -1, [0, 0, 0, 0]) }
        return (form == .byol ? 2 : 0, [0, 0.25 * slope, 0.5 * slope, 0])
    }

    @Test("the float64 reference gives the hand-computed cases", arguments: variants)
    func referenceHandComputed(form: NegativeCosineForm, swapHalves: Bool) {
        let expected = Self.hand(form, swapHalves: swapHalves)
        let reference = Reference.negativeCosineLoss(predictions: Self.handP.map(Double.init),
                                                     targets: Self.handZ.map(Double.init), rows: 2, cols: 2,
                                                     form: form, swapHalves: swapHalves)
        #expect(abs(reference.loss - expected.loss) < 1e-12)
        #expect(zip(reference.predictionGradient, expected.dp).allSatisfy { abs($0 - $1) < 1e-12 },
                "\(reference.predictionGradient) vs \(expected.dp)")
    }

    @Test("the fused loss gives the hand-computed cases", arguments: TestBackend.allCases)
    func handComputed(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let p = try Tensor(Self.handP, shape: [2, 2], on: device), z = try Tensor(Self.handZ, shape: [2, 2], on: device)
        for (form, swapHalves) in Self.variants {
            let expected = Self.hand(form, swapHalves: swapHalves)
            let result = try negativeCosineLoss(predictions: p, targets: z, form: form, swapHalves: swapHalves)
            let label = "\(backend) \(form) swapHalves=\(swapHalves)"
            #expect(abs(Double(try result.value()) - expected.loss) < 1e-6, "\(label): loss")
            expectClose(try result.predictionGradient.toArray(), expected.dp, tolerance: 1e-6, "\(label): dp")
        }
    }

    @Test("the float64 reference's gradient matches its own finite differences", arguments: variants)
    func referenceFiniteDifferences(form: NegativeCosineForm, swapHalves: Bool) {
        let (n, d) = (4, 3)
        let p = randomValues(n * d, seed: 140).map(Double.init), z = randomValues(n * d, seed: 141).map(Double.init)
        func loss(_ p: [Double]) -> Double {
            Reference.negativeCosineLoss(predictions: p, targets: z, rows: n, cols: d, form: form,
                                         swapHalves: swapHalves).loss
        }
        let expected = Reference.negativeCosineLoss(predictions: p, targets: z, rows: n, cols: d, form: form,
                                                    swapHalves: swapHalves).predictionGradient
        let step = 1e-6
        for x in 0..<n * d {
            var plus = p, minus = p
            plus[x] += step
            minus[x] -= step
            #expect(abs((loss(plus) - loss(minus)) / (2 * step) - expected[x]) < 1e-8)
        }
    }

    /// (N, d): single rows and features, sizes off every work-group multiple, odd N (row pairing only), and the
    /// bench's N = 512, d = 2048.
    static let sizes: [(n: Int, d: Int)] = [(1, 1), (2, 1), (7, 3), (6, 257), (130, 33), (512, 2048)]

    @Test("loss and gradient match the float64 reference", arguments: TestBackend.allCases, variants)
    func matchesReference(backend: TestBackend, variant: (form: NegativeCosineForm, swapHalves: Bool)) throws {
        guard let device = try backend.open() else { return }
        for (n, d) in Self.sizes where !variant.swapHalves || n % 2 == 0 {
            let p = randomValues(n * d, seed: UInt64(n * 10 + d)), z = randomValues(n * d, seed: UInt64(n * 10 + d + 1))
            let expected = Reference.negativeCosineLoss(predictions: p.map(Double.init), targets: z.map(Double.init),
                                                        rows: n, cols: d, form: variant.form,
                                                        swapHalves: variant.swapHalves)
            let result = try negativeCosineLoss(predictions: Tensor(p, shape: [n, d], on: device),
                                                targets: Tensor(z, shape: [n, d], on: device), form: variant.form,
                                                swapHalves: variant.swapHalves)
            let label = "\(backend) \(variant.form) swapHalves=\(variant.swapHalves) N=\(n) d=\(d)"
            let loss = try result.value()
            #expect(abs(Double(loss) - expected.loss) <= 1e-5 * max(1, abs(expected.loss)),
                    "\(label): loss \(loss) vs \(expected.loss)")
            #expect(result.predictionGradient.shape == [n, d])
            // Relative to the largest entry, or to 1/N where every entry is 0 (d = 1: p̂ and ẑ are ±1, so
            // ẑ − c p̂ vanishes) and float32 leaves rounding of that size.
            let largest = max(expected.predictionGradient.map(abs).max()!, 1 / Double(n))
            let error = Reference.maxRelativeError(try result.predictionGradient.toArray(),
                                                   expected.predictionGradient, floor: largest)
            #expect(error <= 1e-5, "\(label): dp error \(error) relative to the largest entry \(largest)")
        }
    }

    @Test("the gradient matches finite differences of the fused loss", arguments: TestBackend.allCases, variants)
    func finiteDifferenceCheck(backend: TestBackend, variant: (form: NegativeCosineForm, swapHalves: Bool)) throws {
        guard let device = try backend.open() else { return }
        let (n, d) = (4, 5)
        let p = randomValues(n * d, seed: 150), z = try Tensor(randomValues(n * d, seed: 151), shape: [n, d], on: device)
        func loss(_ p: [Float]) throws -> NegativeCosineResult {
            try negativeCosineLoss(predictions: Tensor(p, shape: [n, d], on: device), targets: z, form: variant.form,
                                   swapHalves: variant.swapHalves)
        }
        let numeric = try finiteDifferences(p, step: 1e-2) { Double(try loss($0).value()) }
        expectClose(try loss(p).predictionGradient.toArray(), numeric, tolerance: 2e-3,
                    "\(backend) \(variant.form) swapHalves=\(variant.swapHalves): dp vs finite differences")
    }

    @Test("a zero prediction row is clamped to eps as F.normalize does, and a zero target row gives c = 0",
          arguments: TestBackend.allCases)
    func zeroRows(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let p: [Float] = [0, 0, 1, 2], z: [Float] = [3, 4, 0, 0]
        for form in NegativeCosineForm.allCases {
            let expected = Reference.negativeCosineLoss(predictions: p.map(Double.init), targets: z.map(Double.init),
                                                        rows: 2, cols: 2, form: form, swapHalves: false)
            let result = try negativeCosineLoss(predictions: Tensor(p, shape: [2, 2], on: device),
                                                targets: Tensor(z, shape: [2, 2], on: device), form: form)
            #expect(abs(Double(try result.value()) - expected.loss) < 1e-6, "\(backend) \(form): loss")
            // Row 0's gradient is ẑ_0 (dℓ/dc)/(N·1e-12), of order 1e11.
            expectClose(try result.predictionGradient.toArray(), expected.predictionGradient, tolerance: 1e-6,
                        "\(backend) \(form): dp")
        }
    }

    @Test("neither input is written (z is a stop-gradient target)", arguments: TestBackend.allCases)
    func inputsUnchanged(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let (n, d) = (6, 33)
        let pValues = randomValues(n * d, seed: 160), zValues = randomValues(n * d, seed: 161)
        let p = try Tensor(pValues, shape: [n, d], on: device), z = try Tensor(zValues, shape: [n, d], on: device)
        for (form, swapHalves) in Self.variants {
            _ = try negativeCosineLoss(predictions: p, targets: z, form: form, swapHalves: swapHalves).value()
        }
        #expect(try z.toArray().map(\.bitPattern) == zValues.map(\.bitPattern))
        #expect(try p.toArray().map(\.bitPattern) == pValues.map(\.bitPattern))
    }

    @Test("a non-finite input is reported by value(), naming the element", arguments: TestBackend.allCases)
    func nonFiniteInput(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        var values = randomValues(12, seed: 170)
        let finite = try Tensor(values, shape: [4, 3], on: device)
        values[7] = .nan
        let bad = try Tensor(values, shape: [4, 3], on: device)
        expectError(.invalidArgument("negativeCosineLoss: targets[2, 1] is nan; the input must be finite")) {
            _ = try negativeCosineLoss(predictions: finite, targets: bad, swapHalves: true).value()
        }
        values[7] = -.infinity
        expectError(.invalidArgument("negativeCosineLoss: predictions[2, 1] is -inf; the input must be finite")) {
            _ = try negativeCosineLoss(predictions: Tensor(values, shape: [4, 3], on: device), targets: bad,
                                       form: .byol).value()
        }
    }

    @Test("bad shapes and devices are one clear error, before anything is computed")
    func badInput() throws {
        let p = try Tensor.uniform([4, 3], seed: 1, on: .cpu)
        func loss(_ p: Tensor, _ z: Tensor, swapHalves: Bool = false) throws {
            _ = try negativeCosineLoss(predictions: p, targets: z, swapHalves: swapHalves).value()
        }
        expectError(.shapeMismatch(op: "negativeCosineLoss", detail: "targets must be 2-D, got shape [12]")) {
            try loss(p, p.reshaped([12]))
        }
        expectError(.shapeMismatch(op: "negativeCosineLoss",
                                   detail: "predictions [4, 3] and targets [2, 6] differ in features d")) {
            try loss(p, p.reshaped([2, 6]))
        }
        expectError(.shapeMismatch(op: "negativeCosineLoss",
                                   detail: "predictions [4, 3] and targets [5, 3] need the same number of rows")) {
            try loss(p, Tensor.zeros([5, 3], on: .cpu))
        }
        expectError(.invalidArgument("negativeCosineLoss: predictions has no rows (shape [0, 3]); at least 1 is needed")) {
            try loss(Tensor.zeros([0, 3], on: .cpu), Tensor.zeros([0, 3], on: .cpu))
        }
        expectError(.invalidArgument("negativeCosineLoss: the rows have no features (predictions [4, 0])")) {
            try loss(Tensor.zeros([4, 0], on: .cpu), Tensor.zeros([4, 0], on: .cpu))
        }
        let odd = try Tensor.uniform([3, 4], seed: 2, on: .cpu)
        expectError(.invalidArgument("negativeCosineLoss: swapHalves pairs row i with row i + N/2, so N must be "
                                     + "even, got predictions [3, 4]")) {
            try loss(odd, odd, swapHalves: true)
        }
        guard let device = try TestBackend.opencl.open() else { return }
        let elsewhere = try p.to(device)
        expectError(.deviceMismatch(op: "negativeCosineLoss", detail: "\(p) and \(elsewhere)")) {
            try loss(p, elsewhere)
        }
    }
}
