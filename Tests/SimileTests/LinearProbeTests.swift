import Testing
@testable import Simile

@Suite struct LinearProbeTests {
    /// Rows around C random centres in d − 1 features, plus a constant last feature (standardised to 0).
    private func clusters(rows: Int, d: Int, classes: Int, spread: Float, seed: UInt64) -> (features: [Float], labels: [Int]) {
        let centres = randomValues(classes * d, seed: 500), noise = randomValues(rows * d, seed: seed)
        let labels = (0..<rows).map { ($0 * 7 + $0 / 3) % classes }
        let features = (0..<rows * d).map { i in
            i % d == d - 1 ? 3 : 4 * centres[labels[i / d] * d + i % d] + spread * noise[i]
        }
        return (features, labels)
    }

    @Test("separable clusters are classified exactly, and training stops on the tolerance", arguments: TestBackend.allCases)
    func separable(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let (d, classes) = (8, 6)
        let train = clusters(rows: 240, d: d, classes: classes, spread: 0.5, seed: 1)
        let test = clusters(rows: 60, d: d, classes: classes, spread: 0.5, seed: 2)
        let result = try linearProbe(train: Tensor(train.features, shape: [240, d], on: device), trainLabels: train.labels,
                                     test: Tensor(test.features, shape: [60, d], on: device), testLabels: test.labels,
                                     classes: classes, config: LinearProbeConfig(learningRate: 0.05, tolerance: 1e-4))
        #expect(result.accuracy.top1 == 1 && result.accuracy.top5 == 1 && result.accuracy.topCount == 5)
        #expect(result.accuracy.predictions == test.labels)
        #expect(result.converged && result.iterations < 1000, "\(result.iterations) iterations")
        #expect(result.trainLoss < 0.05, "train loss \(result.trainLoss)")
        #expect(result.weight.shape == [classes, d] && result.bias.shape == [classes])
    }

    @Test("a few Adam updates match the float64 reference", arguments: TestBackend.allCases)
    func matchesReference(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let (n, d, classes, iterations) = (40, 5, 3, 6)
        let train = clusters(rows: n, d: d, classes: classes, spread: 3, seed: 3)
        let trainLabels = train.labels.enumerated().map { $0.offset % 5 == 0 ? 0 : $0.element }  // unequal class sizes
        let test = clusters(rows: 12, d: d, classes: classes, spread: 3, seed: 4)
        let expected = Reference.linearProbe(train: train.features.map(Double.init), trainLabels: trainLabels,
                                             test: test.features.map(Double.init), testLabels: test.labels, cols: d,
                                             classes: classes, learningRate: 0.05, weightDecay: 0.01, iterations: iterations)
        let config = LinearProbeConfig(learningRate: 0.05, weightDecay: 0.01, maxIterations: iterations, tolerance: 0)
        let result = try linearProbe(train: Tensor(train.features, shape: [n, d], on: device), trainLabels: trainLabels,
                                     test: Tensor(test.features, shape: [12, d], on: device), testLabels: test.labels,
                                     classes: classes, config: config)
        #expect(result.iterations == iterations && !result.converged)
        #expect(abs(result.trainLoss - expected.losses[iterations]) <= 1e-5 * expected.losses[iterations],
                "loss \(result.trainLoss) vs \(expected.losses[iterations])")
        expectClose(try result.weight.toArray(), expected.weight, tolerance: 1e-4, "weight")
        expectClose(try result.bias.toArray(), expected.bias, tolerance: 1e-4, "bias")
        #expect(result.accuracy.top1 == expected.top1 && result.accuracy.top5 == expected.top5)
    }

    @Test("max iterations bounds the updates", arguments: TestBackend.allCases)
    func maxIterations(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let data = clusters(rows: 30, d: 4, classes: 3, spread: 1, seed: 5)
        let features = try Tensor(data.features, shape: [30, 4], on: device)
        let result = try linearProbe(train: features, trainLabels: data.labels, test: features, testLabels: data.labels,
                                     classes: 3, config: LinearProbeConfig(maxIterations: 3))
        #expect(result.iterations == 3 && !result.converged)
        #expect(result.accuracy.topCount == 3 && result.accuracy.top5 == 1)
    }

    @Test("bad input is one clear error")
    func badInput() throws {
        let train = try Tensor.uniform([4, 3], seed: 1, on: .cpu), test = try Tensor.uniform([2, 3], seed: 2, on: .cpu)
        func run(train: Tensor = train, trainLabels: [Int] = [0, 1, 1, 0], test: Tensor = test, testLabels: [Int] = [1, 0],
                 classes: Int = 2, config: LinearProbeConfig = LinearProbeConfig()) throws {
            _ = try linearProbe(train: train, trainLabels: trainLabels, test: test, testLabels: testLabels,
                                classes: classes, config: config)
        }
        expectError(.shapeMismatch(op: "linearProbe", detail: "train [4, 3] and test [3, 2] differ in features d")) {
            try run(test: test.reshaped([3, 2]), testLabels: [0, 0, 0])
        }
        expectError(.shapeMismatch(op: "linearProbe", detail: "trainLabels has 5 labels for 4 feature rows [4, 3]")) {
            try run(trainLabels: [0, 1, 1, 0, 0])
        }
        expectError(.invalidArgument("linearProbe: testLabels[1] = 2 is outside the classes 0..<2")) {
            try run(testLabels: [1, 2])
        }
        expectError(.invalidArgument("linearProbe: classes must be ≥ 1, got 0")) { try run(classes: 0) }
        expectError(.invalidArgument("linearProbe: train has no rows (shape [0, 3]); at least 1 is needed")) {
            try run(train: Tensor.zeros([0, 3], on: .cpu), trainLabels: [])
        }
        expectError(.invalidArgument("linearProbe: learning rate must be > 0 and finite, got 0.0")) {
            try run(config: LinearProbeConfig(learningRate: 0))
        }
        expectError(.invalidArgument("linearProbe: weight decay must be ≥ 0 and finite, got -1.0")) {
            try run(config: LinearProbeConfig(weightDecay: -1))
        }
        expectError(.invalidArgument("linearProbe: max iterations must be ≥ 1, got 0")) {
            try run(config: LinearProbeConfig(maxIterations: 0))
        }
        expectError(.invalidArgument("linearProbe: tolerance must be ≥ 0 and finite, got nan")) {
            try run(config: LinearProbeConfig(tolerance: .nan))
        }
        var values = try train.toArray()
        values[5] = .infinity
        expectError(.invalidArgument("linearProbe: train[1, 2] is inf; the input must be finite")) {
            try run(train: Tensor(values, shape: [4, 3], on: .cpu))
        }
    }
}
