import Testing
@testable import Simile

/// A backend and, on OpenCL, the batch-norm work split forced on it (both run on any OpenCL device).
struct BatchNormTarget: CustomTestStringConvertible, Sendable {
    let backend: TestBackend
    let kernel: BatchNormKernel?

    var testDescription: String { kernel.map { "\(backend) \($0.rawValue)" } ?? "\(backend)" }

    static let all = [BatchNormTarget(backend: .cpu, kernel: nil)]
        + BatchNormKernel.allCases.map { BatchNormTarget(backend: .opencl, kernel: $0) }
}

/// One batch-norm problem: input, parameters and running statistics, as float32 values and float64 copies.
private struct Problem {
    let shape: [Int]
    let x: [Float], gamma: [Float], beta: [Float], runningMean: [Float], runningVariance: [Float]
    /// A shortcut to add before the ReLU, of x's shape.
    let residual: [Float]
    var n: Int { shape[0] }
    var c: Int { shape[1] }
    var s: Int { shape.dropFirst(2).reduce(1, *) }

    init(_ shape: [Int], seed: UInt64, offset: Float = 0.5, spread: Float = 2) {
        self.shape = shape
        let c = shape[1]
        x = randomValues(shape.reduce(1, *), seed: seed).map { offset + spread * $0 }
        gamma = randomValues(c, seed: seed + 1).map { 1 + 0.5 * $0 }
        beta = randomValues(c, seed: seed + 2)
        runningMean = randomValues(c, seed: seed + 3)
        runningVariance = randomValues(c, seed: seed + 4).map { 1.5 + $0 }
        residual = randomValues(x.count, seed: seed + 5)
    }

    /// The epilogues to test: plain, with ReLU, with the residual added, and with both.
    static let epilogues = [(residual: false, relu: false), (false, true), (true, false), (true, true)]

    func tensors(on device: Device) throws -> (x: Tensor, gamma: Tensor, beta: Tensor, mean: Tensor, variance: Tensor) {
        (try Tensor(x, shape: shape, on: device), try Tensor(gamma, shape: [c], on: device),
         try Tensor(beta, shape: [c], on: device), try Tensor(runningMean, shape: [c], on: device),
         try Tensor(runningVariance, shape: [c], on: device))
    }

    func reference(training: Bool, residual: Bool = false, relu: Bool, eps: Double = 1e-5)
        -> (y: [Double], mean: [Double], inverseStd: [Double], runningMean: [Double], runningVariance: [Double]) {
        Reference.batchNorm(x.map(Double.init), n: n, c: c, s: s, gamma: gamma.map(Double.init),
                            beta: beta.map(Double.init), runningMean: runningMean.map(Double.init),
                            runningVariance: runningVariance.map(Double.init), training: training, momentum: 0.1,
                            eps: eps, residual: residual ? self.residual.map(Double.init) : nil, relu: relu)
    }

    func residualTensor(_ wanted: Bool, on device: Device) throws -> Tensor? {
        wanted ? try Tensor(residual, shape: shape, on: device) : nil
    }
}

@Suite struct BatchNormTests {
    static let shapes: [[Int]] = [[1, 3, 7, 5], [4, 3, 5, 5], [2, 16, 1, 1], [3, 40, 4, 4], [5, 3], [64, 7], [130, 20]]

    @Test("training forward, running statistics and backward match float64",
          arguments: BatchNormTarget.all, shapes)
    func training(target: BatchNormTarget, shape: [Int]) throws {
        guard let device = try target.backend.open() else { return }
        let problem = Problem(shape, seed: 40)
        let upstream = randomValues(problem.x.count, seed: 45)
        for (residual, relu) in Problem.epilogues {
            let (x, gamma, beta, runningMean, runningVariance) = try problem.tensors(on: device)
            let (y, statistics) = try batchNormTraining(x, gamma: gamma, beta: beta, runningMean: runningMean,
                                                        runningVariance: runningVariance, momentum: 0.1, eps: 1e-5,
                                                        residual: problem.residualTensor(residual, on: device),
                                                        relu: relu, kernel: target.kernel)
            let expected = problem.reference(training: true, residual: residual, relu: relu)
            let label = "\(target.testDescription) \(shape) residual=\(residual) relu=\(relu)"
            expectClose(try y.toArray(), expected.y, tolerance: 1e-5, "y \(label)")
            expectClose(try statistics.mean.toArray(), expected.mean, tolerance: 1e-6, "mean \(label)")
            expectClose(try statistics.inverseStd.toArray(), expected.inverseStd, tolerance: 1e-5, "inverseStd \(label)")
            expectClose(try runningMean.toArray(), expected.runningMean, tolerance: 1e-6, "running mean \(label)")
            expectClose(try runningVariance.toArray(), expected.runningVariance, tolerance: 1e-6, "running variance \(label)")

            let gradients = try batchNormBackward(Tensor(upstream, shape: shape, on: device), input: x,
                                                  output: relu ? y : nil, statistics: statistics, gamma: gamma,
                                                  kernel: target.kernel)
            let expectedGradients = Reference.batchNormBackward(
                problem.x.map(Double.init), upstream.map(Double.init), n: problem.n, c: problem.c, s: problem.s,
                gamma: problem.gamma.map(Double.init), beta: problem.beta.map(Double.init), eps: 1e-5,
                residual: residual ? problem.residual.map(Double.init) : nil, relu: relu)
            expectClose(try gradients.input.toArray(), expectedGradients.dx, tolerance: 1e-5, "dx \(label)")
            expectClose(try gradients.gamma.toArray(), expectedGradients.dgamma, tolerance: 1e-5, "dgamma \(label)")
            expectClose(try gradients.beta.toArray(), expectedGradients.dbeta, tolerance: 1e-5, "dbeta \(label)")
        }
    }

    @Test("eval mode normalises with the running statistics and leaves them unchanged",
          arguments: BatchNormTarget.all, [[4, 3, 5, 5], [1, 7], [2, 40, 2, 3]])
    func inference(target: BatchNormTarget, shape: [Int]) throws {
        guard let device = try target.backend.open() else { return }
        let problem = Problem(shape, seed: 50)
        for (residual, relu) in Problem.epilogues {
            let (x, gamma, beta, runningMean, runningVariance) = try problem.tensors(on: device)
            let y = try batchNormInference(x, gamma: gamma, beta: beta, runningMean: runningMean,
                                           runningVariance: runningVariance, eps: 1e-3,
                                           residual: problem.residualTensor(residual, on: device), relu: relu,
                                           kernel: target.kernel)
            let expected = problem.reference(training: false, residual: residual, relu: relu, eps: 1e-3)
            expectClose(try y.toArray(), expected.y, tolerance: 1e-5,
                        "y \(target.testDescription) \(shape) residual=\(residual) relu=\(relu)")
            #expect(try runningMean.toArray() == problem.runningMean)
            #expect(try runningVariance.toArray() == problem.runningVariance)
        }
    }

    @Test("backward matches finite differences through the batch statistics", arguments: BatchNormTarget.all)
    func finiteDifferenceCheck(target: BatchNormTarget) throws {
        guard let device = try target.backend.open() else { return }
        let shape = [3, 2, 2, 2]
        let problem = Problem(shape, seed: 60)
        let upstream = randomValues(problem.x.count, seed: 61)
        /// Σ upstream · y for input `x` and parameters `gamma`, `beta`.
        func loss(_ x: [Float], _ gamma: [Float], _ beta: [Float]) throws -> Double {
            let (y, _) = try batchNormTraining(
                Tensor(x, shape: shape, on: device), gamma: Tensor(gamma, shape: [2], on: device),
                beta: Tensor(beta, shape: [2], on: device), runningMean: Tensor.zeros([2], on: device),
                runningVariance: Tensor.zeros([2], on: device), momentum: 0.1, eps: 1e-5, relu: false,
                kernel: target.kernel)
            return zip(try y.toArray(), upstream).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let (x, gamma, beta, runningMean, runningVariance) = try problem.tensors(on: device)
        let (_, statistics) = try batchNormTraining(x, gamma: gamma, beta: beta, runningMean: runningMean,
                                                    runningVariance: runningVariance, momentum: 0.1, eps: 1e-5,
                                                    relu: false, kernel: target.kernel)
        let gradients = try batchNormBackward(Tensor(upstream, shape: shape, on: device), input: x, output: nil,
                                              statistics: statistics, gamma: gamma, kernel: target.kernel)
        let step: Float = 1e-2
        expectClose(try gradients.input.toArray(),
                    try finiteDifferences(problem.x, step: step) { try loss($0, problem.gamma, problem.beta) },
                    tolerance: 2e-3, "dx vs finite differences")
        expectClose(try gradients.gamma.toArray(),
                    try finiteDifferences(problem.gamma, step: step) { try loss(problem.x, $0, problem.beta) },
                    tolerance: 2e-3, "dgamma vs finite differences")
        expectClose(try gradients.beta.toArray(),
                    try finiteDifferences(problem.beta, step: step) { try loss(problem.x, problem.gamma, $0) },
                    tolerance: 2e-3, "dbeta vs finite differences")
    }

    @Test("a layer's residual epilogue max(0, bn(x) + shortcut) and its two gradients match float64",
          arguments: TestBackend.allCases)
    func residualLayer(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let shape = [3, 4, 5, 5]
        let problem = Problem(shape, seed: 90)
        let layer = try BatchNorm2d(4, on: device)
        layer.weight.value = try Tensor(problem.gamma, shape: [4], on: device)
        layer.bias.value = try Tensor(problem.beta, shape: [4], on: device)
        let (x, _, _, _, _) = try problem.tensors(on: device)
        let shortcut = try Tensor(problem.residual, shape: shape, on: device)
        let record = ForwardRecord(root: layer)
        let y = try layer.residualForward(x, shortcut: shortcut, recordingInto: record)
        let expected = Reference.batchNorm(
            problem.x.map(Double.init), n: 3, c: 4, s: 25, gamma: problem.gamma.map(Double.init),
            beta: problem.beta.map(Double.init), runningMean: [0, 0, 0, 0], runningVariance: [1, 1, 1, 1],
            training: true, momentum: 0.1, eps: 1e-5, residual: problem.residual.map(Double.init), relu: true)
        expectClose(try y.toArray(), expected.y, tolerance: 1e-5, "\(backend) y")
        #expect(expected.y.contains(0) && expected.y.contains { $0 > 0 }, "the mask is not trivial")

        let upstream = randomValues(problem.x.count, seed: 95)
        let (dx, dShortcut) = try layer.residualBackward(Tensor(upstream, shape: shape, on: device), from: record)
        let reference = Reference.batchNormBackward(
            problem.x.map(Double.init), upstream.map(Double.init), n: 3, c: 4, s: 25,
            gamma: problem.gamma.map(Double.init), beta: problem.beta.map(Double.init), eps: 1e-5,
            residual: problem.residual.map(Double.init), relu: true)
        expectClose(try dx.toArray(), reference.dx, tolerance: 1e-5, "\(backend) dx")
        expectClose(try dShortcut.toArray(), zip(upstream, expected.y).map { $1 > 0 ? Double($0) : 0 }, tolerance: 0,
                    "\(backend) shortcut gradient")
        expectClose(try #require(layer.weight.gradient).toArray(), reference.dgamma, tolerance: 1e-5, "\(backend) dgamma")
        expectClose(try #require(layer.bias.gradient).toArray(), reference.dbeta, tolerance: 1e-5, "\(backend) dbeta")

        expectError(.invalidArgument(
            "BatchNorm2d.residualForward: the layer fuses its own ReLU before the addition; use one without (relu: false)")) {
            _ = try BatchNorm2d(4, relu: true, on: device).residualForward(x, shortcut: shortcut, recordingInto: nil)
        }
        let plain = ForwardRecord(root: layer)
        _ = try layer.forward(x, recordingInto: plain)
        expectError(.invalidArgument("BatchNorm2d.residualBackward: the recorded forward was not residualForward")) {
            _ = try layer.residualBackward(Tensor(upstream, shape: shape, on: device), from: plain)
        }
    }

    @Test("statistics stay accurate under a large common offset (1000 + small noise)", arguments: BatchNormTarget.all)
    func largeOffset(target: BatchNormTarget) throws {
        guard let device = try target.backend.open() else { return }
        let problem = Problem([8, 4, 16, 16], seed: 70, offset: 1000, spread: 0.01)
        let (x, gamma, beta, runningMean, runningVariance) = try problem.tensors(on: device)
        let (y, statistics) = try batchNormTraining(x, gamma: gamma, beta: beta, runningMean: runningMean,
                                                    runningVariance: runningVariance, momentum: 0.1, eps: 1e-5,
                                                    relu: false, kernel: target.kernel)
        let expected = problem.reference(training: true, relu: false)
        expectClose(try statistics.inverseStd.toArray().map { $0 / 100 }, expected.inverseStd.map { $0 / 100 },
                    tolerance: 1e-4, "inverseStd / 100")
        expectClose(try runningVariance.toArray(), expected.runningVariance, tolerance: 1e-4, "running variance")
        expectClose(try statistics.mean.toArray(), expected.mean, tolerance: 1e-7, "mean")
        expectClose(try y.toArray(), expected.y, tolerance: 1e-4, "y")
    }

    @Test("empty batches and channels give empty results and zero parameter gradients", arguments: BatchNormTarget.all)
    func empty(target: BatchNormTarget) throws {
        guard let device = try target.backend.open() else { return }
        let none = try Tensor.zeros([0], on: device), three = try Tensor.full([3], 1, on: device)
        let (y, statistics) = try batchNormTraining(Tensor.zeros([2, 0, 3, 3], on: device), gamma: none, beta: none,
                                                    runningMean: none, runningVariance: none, momentum: 0.1,
                                                    eps: 1e-5, relu: false, kernel: target.kernel)
        #expect(y.shape == [2, 0, 3, 3] && statistics.mean.shape == [0])
        let x = try Tensor.zeros([0, 3], on: device)
        #expect(try batchNormInference(x, gamma: three, beta: three, runningMean: three, runningVariance: three,
                                       eps: 1e-5, relu: true, kernel: target.kernel).shape == [0, 3])
        let gradients = try batchNormBackward(x, input: x, output: nil,
                                              statistics: BatchNormStatistics(mean: three, inverseStd: three),
                                              gamma: three, kernel: target.kernel)
        #expect(gradients.input.shape == [0, 3])
        #expect(try gradients.gamma.toArray() == [0, 0, 0] && gradients.beta.toArray() == [0, 0, 0])
    }

    @Test("bad input is one clear error")
    func badInput() throws {
        let device = Device.cpu
        let x = try Tensor.zeros([2, 3, 4, 4], on: device), c3 = try Tensor.full([3], 1, on: device)
        let c4 = try Tensor.zeros([4], on: device)
        func train(_ x: Tensor, gamma: Tensor? = nil, momentum: Float = 0.1, eps: Float = 1e-5) throws {
            _ = try batchNormTraining(x, gamma: gamma ?? c3, beta: c3, runningMean: c3, runningVariance: c3,
                                      momentum: momentum, eps: eps)
        }
        expectError(.shapeMismatch(op: "batchNormTraining", detail: "x must be [N, C] or [N, C, H, W], got shape [2, 3, 4]")) {
            try train(Tensor.zeros([2, 3, 4], on: device))
        }
        expectError(.shapeMismatch(op: "batchNormTraining", detail: "gamma [4] must be [C] = [3] for x [2, 3, 4, 4]")) {
            try train(x, gamma: c4)
        }
        expectError(.invalidArgument("batchNormTraining: eps must be > 0, got 0.0")) { try train(x, eps: 0) }
        expectError(.invalidArgument("batchNormTraining: momentum must be in [0, 1], got 1.5")) { try train(x, momentum: 1.5) }
        expectError(.invalidArgument(
            "batchNormTraining: expected more than 1 value per channel when training, got x [1, 3]")) {
            try train(Tensor.zeros([1, 3], on: device))
        }
        expectError(.shapeMismatch(op: "batchNormInference", detail: "runningVariance [4] must be [C] = [3] for x [2, 3, 4, 4]")) {
            _ = try batchNormInference(x, gamma: c3, beta: c3, runningMean: c3, runningVariance: c4)
        }
        expectError(.shapeMismatch(op: "batchNormTraining", detail: "residual [2, 3, 4, 3] must be x's shape [2, 3, 4, 4]")) {
            _ = try batchNormTraining(x, gamma: c3, beta: c3, runningMean: c3, runningVariance: c3,
                                      residual: Tensor.zeros([2, 3, 4, 3], on: device))
        }
        expectError(.invalidArgument("batchNormInference: eps must be > 0, got -1.0")) {
            _ = try batchNormInference(x, gamma: c3, beta: c3, runningMean: c3, runningVariance: c3, eps: -1)
        }
        let statistics = BatchNormStatistics(mean: c3, inverseStd: c3)
        expectError(.shapeMismatch(op: "batchNormBackward", detail: "[2, 3, 4] vs [2, 3, 4, 4]")) {
            _ = try batchNormBackward(Tensor.zeros([2, 3, 4], on: device), input: x, output: nil,
                                      statistics: statistics, gamma: c3)
        }
        expectError(.shapeMismatch(op: "batchNormBackward", detail: "[2, 3, 4, 3] vs [2, 3, 4, 4]")) {
            _ = try batchNormBackward(x, input: x, output: Tensor.zeros([2, 3, 4, 3], on: device),
                                      statistics: statistics, gamma: c3)
        }
        expectError(.shapeMismatch(op: "batchNormBackward",
                                   detail: "statistics.inverseStd [4] must be [C] = [3] for x [2, 3, 4, 4]")) {
            _ = try batchNormBackward(x, input: x, output: nil, statistics: BatchNormStatistics(mean: c3, inverseStd: c4),
                                      gamma: c3)
        }
    }

    @Test("operands on different devices are one clear error", arguments: [TestBackend.opencl])
    func mixedDevices(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let x = try Tensor.zeros([2, 3], on: device), c3 = try Tensor.full([3], 1, on: .cpu)
        expectError(.deviceMismatch(op: "batchNormTraining", detail: "\(x) and \(c3)")) {
            _ = try batchNormTraining(x, gamma: c3, beta: c3, runningMean: c3, runningVariance: c3)
        }
        let onDevice = try Tensor.full([3], 1, on: device), residual = try Tensor.zeros([2, 3], on: .cpu)
        expectError(.deviceMismatch(op: "batchNormInference", detail: "\(x) and \(residual)")) {
            _ = try batchNormInference(x, gamma: onDevice, beta: onDevice, runningMean: onDevice,
                                       runningVariance: onDevice, residual: residual)
        }
    }
}
