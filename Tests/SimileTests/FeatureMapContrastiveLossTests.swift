import Testing
@testable import Simile

@Suite struct FeatureMapContrastiveLossTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let b: Int, d: Int, height: Int, width: Int
        /// Multiplies the inputs so that scores reach the clip.
        let magnitude: Float
        let tclip: Float, regularization: Float, weight: Float
        var testDescription: String {
            "B \(b) d \(d) \(height)×\(width) ×\(magnitude) tclip \(tclip) reg \(regularization) weight \(weight)"
        }
    }

    static let cases: [Case] = [
        Case(b: 2, d: 1, height: 1, width: 1, magnitude: 1, tclip: 20, regularization: 0.05, weight: 1),
        Case(b: 4, d: 8, height: 5, width: 5, magnitude: 3, tclip: 20, regularization: 0.05, weight: 0.5),
        Case(b: 3, d: 16, height: 7, width: 7, magnitude: 4, tclip: 1, regularization: 0, weight: 1),
        // Scores far beyond a large clip: the positives' exp overflows float32 and the loss must stay exact.
        Case(b: 3, d: 4, height: 2, width: 3, magnitude: 30, tclip: 1e4, regularization: 0.05, weight: 1),
    ]

    private func inputs(_ c: Case, seed: UInt64) -> (sources: [Float], targets: [Float]) {
        (randomValues(c.b * c.d, seed: seed).map { $0 * c.magnitude },
         randomValues(c.b * c.d * c.height * c.width, seed: seed + 1).map { $0 * c.magnitude })
    }

    private func check(_ c: Case, on device: Device) throws {
        let (sources, targets) = inputs(c, seed: 70)
        let result = try featureMapContrastiveLoss(
            sources: Tensor(sources, shape: [c.b, c.d], on: device),
            targets: Tensor(targets, shape: [c.b, c.d, c.height, c.width], on: device), tclip: c.tclip,
            regularization: c.regularization, weight: c.weight)
        let expected = Reference.featureMapContrastiveLoss(
            sources: sources.map(Double.init), targets: targets.map(Double.init), b: c.b, d: c.d,
            locations: c.height * c.width, tclip: Double(c.tclip), regularization: Double(c.regularization),
            weight: Double(c.weight))
        expectClose([try result.value()], [expected.loss], tolerance: 1e-4, "loss")
        expectClose(try result.sourceGradient.toArray(), expected.sources, tolerance: 1e-4, "dsources")
        expectClose(try result.targetGradient.toArray(), expected.targets, tolerance: 1e-4, "dtargets")
        #expect(result.targetGradient.shape == [c.b, c.d, c.height, c.width])
    }

    @Test("loss and gradients match a float64 reference that builds the whole B×B×L tensor",
          arguments: TestBackend.allCases, cases)
    func matchesReference(backend: TestBackend, c: Case) throws {
        guard let device = try backend.open() else { return }
        try check(c, on: device)
    }

    @Test("the work-group tree matches float64 on an OpenCL CPU device", arguments: cases)
    func tree(c: Case) throws {
        guard let shared = try TestBackend.opencl.open(), let info = shared.openCLInfo else { return }
        try check(c, on: Device(.opencl(try OpenCLBackend(info, reductionGroupSize: 256))))
    }

    @Test("gradients match finite differences, through the tanh clip", arguments: TestBackend.allCases)
    func finiteDifferenceCheck(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        // Scores around the clip (tclip 1), where tanh bends the gradient.
        let c = Case(b: 3, d: 2, height: 2, width: 2, magnitude: 1.5, tclip: 1, regularization: 0.05, weight: 1)
        let (sources, targets) = inputs(c, seed: 80)
        func loss(_ sources: [Float], _ targets: [Float]) throws -> Double {
            Double(try featureMapContrastiveLoss(sources: Tensor(sources, shape: [3, 2], on: device),
                                                 targets: Tensor(targets, shape: [3, 2, 2, 2], on: device),
                                                 tclip: 1).value())
        }
        let result = try featureMapContrastiveLoss(sources: Tensor(sources, shape: [3, 2], on: device),
                                                   targets: Tensor(targets, shape: [3, 2, 2, 2], on: device), tclip: 1)
        expectClose(try result.sourceGradient.toArray(),
                    try finiteDifferences(sources, step: 1e-2) { try loss($0, targets) }, tolerance: 2e-3, "dsources")
        expectClose(try result.targetGradient.toArray(),
                    try finiteDifferences(targets, step: 1e-2) { try loss(sources, $0) }, tolerance: 2e-3, "dtargets")
    }

    @Test("a non-finite input is reported by value()", arguments: TestBackend.allCases)
    func nonFinite(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        var targets = randomValues(2 * 3 * 4, seed: 90)
        targets[5] = .nan
        let result = try featureMapContrastiveLoss(sources: Tensor(randomValues(6, seed: 91), shape: [2, 3], on: device),
                                                   targets: Tensor(targets, shape: [2, 3, 2, 2], on: device))
        #expect(throws: SimileError.self) { _ = try result.value() }
    }

    @Test("bad input is one clear error")
    func badInput() throws {
        let op = "featureMapContrastiveLoss"
        let sources = try Tensor.zeros([2, 3], on: .cpu), targets = try Tensor.zeros([2, 3, 2, 2], on: .cpu)
        expectError(.invalidArgument("\(op): needs at least 2 images of at least 1 channel (the negatives are the other "
                                     + "images' maps), got targets [1, 3, 2, 2]")) {
            _ = try featureMapContrastiveLoss(sources: Tensor.zeros([1, 3], on: .cpu),
                                              targets: Tensor.zeros([1, 3, 2, 2], on: .cpu))
        }
        expectError(.shapeMismatch(op: op, detail: "sources [2, 4] must be one 3-vector per target map of [2, 3, 2, 2]")) {
            _ = try featureMapContrastiveLoss(sources: Tensor.zeros([2, 4], on: .cpu), targets: targets)
        }
        for value: Float in [0, -1, .nan, .infinity] {
            expectError(.invalidArgument("\(op): tclip must be finite and > 0, got \(value)")) {
                _ = try featureMapContrastiveLoss(sources: sources, targets: targets, tclip: value)
            }
            expectError(.invalidArgument("\(op): weight must be finite and > 0, got \(value)")) {
                _ = try featureMapContrastiveLoss(sources: sources, targets: targets, weight: value)
            }
        }
        for value: Float in [-1, .nan, .infinity] {
            expectError(.invalidArgument("\(op): regularization must be finite and ≥ 0, got \(value)")) {
                _ = try featureMapContrastiveLoss(sources: sources, targets: targets, regularization: value)
            }
        }
    }
}

@Suite struct ChannelsLastTests {
    @Test("channelsLast puts each location's channels in a row, and channelsFirst undoes it",
          arguments: TestBackend.allCases)
    func layout(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let (n, c, h, w) = (2, 3, 4, 5)
        let values = randomValues(n * c * h * w, seed: 95)
        let rows = try channelsLast(Tensor(values, shape: [n, c, h, w], on: device))
        #expect(rows.shape == [n * h * w, c])
        var expected = [Double](repeating: 0, count: values.count)
        for image in 0..<n {
            for channel in 0..<c {
                for y in 0..<h {
                    for x in 0..<w {
                        expected[((image * h + y) * w + x) * c + channel] = Double(values[((image * c + channel) * h + y) * w + x])
                    }
                }
            }
        }
        #expect(try rows.toArray().map(Double.init) == expected)
        let back = try channelsFirst(rows, height: h, width: w)
        #expect(back.shape == [n, c, h, w])
        #expect(try back.toArray() == values)
    }

    @Test("pickLocations takes each map's vector at its location and placeLocations puts one back, as plain loops do",
          arguments: TestBackend.allCases)
    func locations(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let (n, c, h, w) = (3, 4, 2, 3)
        let values = randomValues(n * c * h * w, seed: 96), picked = [5, 0, 3]
        let at = try RowIndices(picked, rows: h * w, on: device)
        let out = try pickLocations(Tensor(values, shape: [n, c, h, w], on: device), at: at)
        var expected: [Float] = []
        for image in 0..<n {
            for channel in 0..<c { expected.append(values[(image * c + channel) * h * w + picked[image]]) }
        }
        #expect(out.shape == [n, c])
        #expect(try out.toArray() == expected)
        let placed = try placeLocations(Tensor(expected, shape: [n, c], on: device), at: at, height: h, width: w)
        var maps = [Float](repeating: 0, count: values.count)
        for image in 0..<n {
            for channel in 0..<c {
                let index = (image * c + channel) * h * w + picked[image]
                maps[index] = values[index]
            }
        }
        #expect(placed.shape == [n, c, h, w])
        #expect(try placed.toArray() == maps)
    }

    @Test("bad shapes are one clear error")
    func badInput() throws {
        expectError(.invalidArgument("channelsFirst: maps of 0×2 locations")) {
            _ = try channelsFirst(Tensor.zeros([4, 3], on: .cpu), height: 0, width: 2)
        }
        expectError(.shapeMismatch(op: "channelsFirst", detail: "rows [7, 3] are not whole 2×2 maps")) {
            _ = try channelsFirst(Tensor.zeros([7, 3], on: .cpu), height: 2, width: 2)
        }
        expectError(.shapeMismatch(op: "channelsLast", detail: "x must be 4-D [N, C, H, W] with H, W ≥ 1, got [2, 3]")) {
            _ = try channelsLast(Tensor.zeros([2, 3], on: .cpu))
        }
    }
}
