import Testing
@testable import Simile

/// A rule with its group's hyper-parameters, as a test argument.
struct OptimizerCase: CustomTestStringConvertible, Sendable {
    let label: String
    let rule: OptimizerRule
    let learningRate: Float
    let weightDecay: Float
    var testDescription: String { label }

    static let all = [
        OptimizerCase(label: "sgd", rule: .sgd(), learningRate: 0.1, weightDecay: 0),
        OptimizerCase(label: "sgd-wd", rule: .sgd(), learningRate: 0.1, weightDecay: 0.1),
        OptimizerCase(label: "sgd-momentum", rule: .sgd(momentum: 0.9), learningRate: 0.1, weightDecay: 0),
        OptimizerCase(label: "sgd-nesterov-wd", rule: .sgd(momentum: 0.9, nesterov: true), learningRate: 0.1, weightDecay: 0.01),
        OptimizerCase(label: "lars", rule: .lars(), learningRate: 2, weightDecay: 0.01),
        OptimizerCase(label: "lars-nesterov", rule: .lars(momentum: 0.8, nesterov: true, trustCoefficient: 0.02),
                      learningRate: 1, weightDecay: 0.001),
        OptimizerCase(label: "adamw", rule: .adamw(), learningRate: 0.01, weightDecay: 0.05),
    ]
}

/// Shapes: one not a multiple of 16, one of exactly 16, one spanning many work-groups.
private let shapes = [[3, 5], [16], [257, 41]]
private let steps = 5
private let tolerance = 1e-4

/// max |actual − expected| / max |expected| over the parameter's change from `initial`: the change,
/// not the value, so that small LARS steps still have to be right.
private func changeError(_ actual: [Float], _ expected: [Double], from initial: [Float]) -> Double {
    var worst = 0.0, scale = 0.0
    for i in initial.indices {
        let expectedChange = expected[i] - Double(initial[i])
        worst = max(worst, abs(Double(actual[i]) - Double(initial[i]) - expectedChange))
        scale = max(scale, abs(expectedChange))
    }
    return worst / max(scale, 1e-30)
}

/// Runs `steps` updates of one parameter on `device` with fresh random gradients each step.
private func runSteps(_ testCase: OptimizerCase, shape: [Int], on device: Device,
                      groups: [ParameterGroup] = [], role: ParameterRole = .weight) throws
    -> (initial: [Float], final: [Float]) {
    let count = shape.reduce(1, *)
    let initial = randomValues(count, seed: 7)
    let parameter = Parameter(try Tensor(initial, shape: shape, on: device), role: role)
    let optimizer = try Optimizer(testCase.rule, [("p", parameter)], learningRate: testCase.learningRate,
                                  weightDecay: testCase.weightDecay, groups: groups)
    for step in 0..<steps {
        parameter.zeroGradient()
        try parameter.accumulate(try Tensor(randomValues(count, seed: 100 + UInt64(step)), shape: shape, on: device))
        try optimizer.step()
    }
    return (initial, try parameter.value.toArray())
}

/// The float64 reference after the same steps and gradients.
private func referenceSteps(_ rule: OptimizerRule, initial: [Float], learningRate: Float, weightDecay: Float,
                            adapt: Bool = true) -> [Double] {
    var reference = OptimizerReference(rule, value: initial.map(Double.init), learningRate: Double(learningRate),
                                       weightDecay: Double(weightDecay), adapt: adapt)
    for step in 0..<steps { reference.step(randomValues(initial.count, seed: 100 + UInt64(step)).map(Double.init)) }
    return reference.value
}

@Suite struct OptimizerTests {
    /// On the CPU in every instruction set this machine runs (the updates are `CPUKernels` C kernels).
    @Test(arguments: TestBackend.allCases, OptimizerCase.all)
    func stepsMatchTheFloat64Rules(_ backend: TestBackend, _ testCase: OptimizerCase) throws {
        guard let device = try backend.open() else { return }
        let devices = backend == .cpu ? CPUInstructionSetTests.devices.map { ($0.0.rawValue, $0.1) } : [("opencl", device)]
        for (label, device) in devices {
            for shape in shapes {
                let (initial, final) = try runSteps(testCase, shape: shape, on: device)
                let expected = referenceSteps(testCase.rule, initial: initial, learningRate: testCase.learningRate,
                                              weightDecay: testCase.weightDecay)
                let error = changeError(final, expected, from: initial)
                #expect(error <= tolerance, "\(label) \(testCase.label) \(shape): relative error of the change \(error)")
            }
        }
    }

    /// The comparison can fail: each result is far from the rule it would follow with one feature dropped.
    @Test(arguments: TestBackend.allCases)
    func droppingAFeatureIsDetected(_ backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let wrong: [(OptimizerCase, OptimizerRule, Float)] = [
            (OptimizerCase.all[3], .sgd(momentum: 0.9), 0.01),                 // Nesterov ignored
            (OptimizerCase.all[3], .sgd(momentum: 0.9, nesterov: true), 0),    // weight decay ignored
            (OptimizerCase.all[2], .sgd(), 0),                                 // momentum ignored
            (OptimizerCase.all[4], .sgd(momentum: 0.9), 0.01),                 // adaptation ignored
            (OptimizerCase.all[6], .adamw(beta1: 0.9, beta2: 0.999, eps: 1e-8), 0), // decoupled decay ignored
        ]
        for (testCase, rule, weightDecay) in wrong {
            let (initial, final) = try runSteps(testCase, shape: [257, 41], on: device)
            let expected = referenceSteps(rule, initial: initial, learningRate: testCase.learningRate, weightDecay: weightDecay)
            #expect(changeError(final, expected, from: initial) > 100 * tolerance, "\(testCase.label) vs \(rule)")
        }
    }

    @Test(arguments: TestBackend.allCases)
    func larsExcludesBiasAndNormalisationByRole(_ backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let lars = OptimizerCase(label: "lars", rule: .lars(), learningRate: 2, weightDecay: 0.01)
        let excluded = [ParameterGroup.larsExcluded(learningRate: 2)]
        for role in [ParameterRole.bias, .normScale, .normShift] {
            let (initial, final) = try runSteps(lars, shape: [37], on: device, groups: excluded, role: role)
            let expected = referenceSteps(.sgd(momentum: 0.9), initial: initial, learningRate: 2, weightDecay: 0)
            #expect(changeError(final, expected, from: initial) <= tolerance, "\(role) should take plain momentum SGD")
        }
        let (initial, final) = try runSteps(lars, shape: [37], on: device, groups: excluded, role: .weight)
        let expected = referenceSteps(.lars(), initial: initial, learningRate: 2, weightDecay: 0.01)
        #expect(changeError(final, expected, from: initial) <= tolerance, "a weight should be adapted")
    }

    /// The name plays no part: a weight named like a batch norm is adapted, a scale named like a weight is not.
    @Test func groupsAreChosenByRole() throws {
        let roles: [(String, ParameterRole)] = [("bn1.weight", .weight), ("conv1.weight", .normScale),
                                                 ("fc.weight", .normShift), ("fc.bias", .bias), ("fc2.weight", .weight)]
        let parameters = try roles.map { name, role in
            (name, Parameter(try Tensor.zeros([2], on: .cpu), role: role))
        }
        let optimizer = try Optimizer(.lars(), parameters, learningRate: 0.3, weightDecay: 1e-6,
                                      groups: [.larsExcluded(learningRate: 0.3)])
        #expect(parameters.map { optimizer.group(of: $0.0) } == [1, 0, 0, 0, 1])
        try optimizer.setLearningRate(0.1, group: 0)
        #expect(optimizer.groups.map(\.learningRate) == [0.1, 0.3])
        try optimizer.setLearningRate(0.2)
        #expect(optimizer.groups.map(\.learningRate) == [0.2, 0.2])
    }

    @Test(arguments: TestBackend.allCases)
    func frozenParametersAreSkipped(_ backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let values = randomValues(20, seed: 3)
        let frozen = Parameter(try Tensor(values, shape: [20], on: device), role: .weight)
        let trained = Parameter(try Tensor(values, shape: [20], on: device), role: .weight)
        try trained.accumulate(try Tensor(randomValues(20, seed: 4), shape: [20], on: device))
        let optimizer = try Optimizer(.adamw(), [("frozen.weight", frozen), ("trained.weight", trained)], learningRate: 0.1)
        try optimizer.step()
        #expect(try frozen.value.toArray() == values)
        #expect(try trained.value.toArray() != values)
    }

    @Test func impossibleHyperParametersAreRejected() throws {
        let parameters = [("w", Parameter(try Tensor.zeros([2], on: .cpu), role: .weight))]
        expectError(.invalidArgument("learning rate must be ≥ 0 and finite, got -0.1")) {
            _ = try Optimizer(.sgd(), parameters, learningRate: -0.1)
        }
        expectError(.invalidArgument("weight decay must be ≥ 0 and finite, got -1.0")) {
            _ = try Optimizer(.sgd(), parameters, learningRate: 0.1, weightDecay: -1)
        }
        expectError(.invalidArgument("momentum must be in [0, 1), got 1.0")) {
            _ = try Optimizer(.sgd(momentum: 1), parameters, learningRate: 0.1)
        }
        expectError(.invalidArgument("Nesterov momentum needs a momentum > 0, got 0.0")) {
            _ = try Optimizer(.sgd(nesterov: true), parameters, learningRate: 0.1)
        }
        expectError(.invalidArgument("LARS trust coefficient must be > 0 and finite, got 0.0")) {
            _ = try Optimizer(.lars(trustCoefficient: 0), parameters, learningRate: 0.1)
        }
        expectError(.invalidArgument("AdamW beta2 must be in [0, 1), got 1.0")) {
            _ = try Optimizer(.adamw(beta2: 1), parameters, learningRate: 0.1)
        }
        expectError(.invalidArgument("learning rate must be ≥ 0 and finite, got -1.0")) {
            _ = try Optimizer(.sgd(), parameters, learningRate: 0.1,
                              groups: [ParameterGroup([.bias], learningRate: -1)])
        }
        let optimizer = try Optimizer(.sgd(), parameters, learningRate: 0.1)
        expectError(.invalidArgument("learning rate must be ≥ 0 and finite, got nan")) { try optimizer.setLearningRate(.nan) }
        expectError(.invalidArgument("no parameter group 3; this optimiser has 1")) { try optimizer.setLearningRate(0.1, group: 3) }
    }
}
