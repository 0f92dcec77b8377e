import Testing
@testable import Simile

@Suite struct OptimizerStateTests {
    /// A Linear layer with a fixed gradient: every step sees the same one.
    private func layer(on device: Device, seed: UInt64) throws -> Linear {
        var generator = SeededGenerator(seed: seed)
        return try Linear(5, 3, on: device, generator: &generator)
    }

    private func step(_ model: Linear, _ optimizer: Optimizer, on device: Device) throws {
        model.zeroGradients()
        let x = try Tensor(randomValues(10, seed: 41), shape: [2, 5], on: device)
        _ = try model.recordedForward(x).record.backward(Tensor(randomValues(6, seed: 42), shape: [2, 3], on: device))
        try optimizer.step()
    }

    @Test("a saved and loaded optimiser continues exactly as the original",
          arguments: TestBackend.allCases, [OptimizerRule.adamw(), .sgd(momentum: 0.9), .lars()])
    func resumes(backend: TestBackend, rule: OptimizerRule) throws {
        guard let device = try backend.open() else { return }
        let original = try layer(on: device, seed: 1)
        let optimizer = try Optimizer(rule, original.namedParameters(), learningRate: 0.1, weightDecay: 0.01)
        for _ in 0..<2 { try step(original, optimizer, on: device) }
        let names = optimizer.stateDict().map(\.name)
        #expect(names.contains("weight.step") && names.contains("bias.step"))
        let resumed = try layer(on: device, seed: 2)
        try resumed.load(Safetensors.tensors(state: original.stateDict()))
        let resumedOptimizer = try Optimizer(rule, resumed.namedParameters(), learningRate: 0.1, weightDecay: 0.01)
        try resumedOptimizer.load(Safetensors.tensors(state: optimizer.stateDict()))
        try step(original, optimizer, on: device)
        try step(resumed, resumedOptimizer, on: device)
        #expect(try resumed.weight.value.toArray() == original.weight.value.toArray())
        #expect(try resumed.bias!.value.toArray() == original.bias!.value.toArray())
    }

    @Test("the state of another rule or a bad step count is one error, and nothing changes")
    func mismatch() throws {
        let model = try layer(on: .cpu, seed: 1)
        let sgd = try Optimizer(.sgd(momentum: 0.9), model.namedParameters(), learningRate: 0.1)
        let adamw = try Optimizer(.adamw(), model.namedParameters(), learningRate: 0.1)
        expectError(.invalidArgument("load: the state does not fit this optimiser: missing weight.exp_avg, "
            + "weight.exp_avg_sq, bias.exp_avg, bias.exp_avg_sq; unexpected weight.momentum_buffer, bias.momentum_buffer")) {
            try adamw.load(Safetensors.tensors(state: sgd.stateDict()))
        }
        var negative = try Safetensors.tensors(state: sgd.stateDict())
        negative[0] = SafetensorsTensor(name: "weight.momentum_buffer", shape: [3, 5], data: .float32(Array(repeating: 1, count: 15)))
        negative[1] = SafetensorsTensor(name: "weight.step", shape: [], data: .int64([-1]))
        let before = try sgd.stateDict()[0].value
        expectError(.invalidArgument("load: the state does not fit this optimiser: weight.step: the count is -1; counts are ≥ 0")) {
            try sgd.load(negative)
        }
        if case let .tensor(buffer) = before { #expect(try buffer.toArray().allSatisfy { $0 == 0 }) }
    }
}
