import Testing
@testable import Simile

@Suite struct EMATests {
    /// Two small ResNets with different weights; the online one has run one training-mode forward pass,
    /// so that its running statistics differ from the target's too.
    static func models(on device: Device) throws -> (target: ResNet, online: ResNet) {
        let target = try ResNet(stem: .cifar, widths: [2, 3], blocks: [1, 1], inputChannels: 1, on: device, seed: 5)
        let online = try ResNet(stem: .cifar, widths: [2, 3], blocks: [1, 1], inputChannels: 1, on: device, seed: 6)
        _ = try online.forward(Tensor(randomValues(72, seed: 25), shape: [2, 1, 6, 6], on: device))
        return (target, online)
    }

    /// Every parameter's value, then every buffer, by name, copied to the host.
    static func snapshot(_ model: any Layer) throws -> (parameters: [String: [Float]], buffers: [String: [Float]]) {
        (Dictionary(uniqueKeysWithValues: try model.namedParameters().map { ($0.name, try $0.parameter.value.toArray()) }),
         Dictionary(uniqueKeysWithValues: try model.namedBuffers().map { ($0.name, try $0.tensor.toArray()) }))
    }

    @Test("target = m·target + (1 − m)·online over every parameter, and the buffers when asked",
          arguments: TestBackend.allCases, [false, true])
    func update(backend: TestBackend, includeBuffers: Bool) throws {
        guard let device = try backend.open() else { return }
        let (target, online) = try Self.models(on: device)
        let (before, reached) = (try Self.snapshot(target), try Self.snapshot(online))
        #expect(before.buffers != reached.buffers, "the online model's running statistics moved")
        try emaUpdate(target: target, online: online, momentum: 0.9, includeBuffers: includeBuffers)
        let after = try Self.snapshot(target)
        func expected(_ old: [Float], _ new: [Float]) -> [Double] { zip(old, new).map { 0.9 * Double($0) + 0.1 * Double($1) } }
        for (name, values) in after.parameters {
            expectClose(values, expected(before.parameters[name]!, reached.parameters[name]!), tolerance: 1e-6, name)
        }
        for (name, values) in after.buffers {
            let old = before.buffers[name]!
            expectClose(values, includeBuffers ? expected(old, reached.buffers[name]!) : old.map(Double.init), tolerance: 1e-6, name)
        }
        #expect(try Self.snapshot(online) == reached, "the online model is left as it was")
    }

    @Test("models that differ in a name or a shape are one error naming the first difference, and nothing changes")
    func mismatch() throws {
        let target = try ResNet(stem: .cifar, widths: [2, 3], blocks: [1, 1], inputChannels: 1, on: .cpu, seed: 5)
        let before = try Self.snapshot(target)
        let wider = try ResNet(stem: .cifar, widths: [2, 4], blocks: [1, 1], inputChannels: 1, on: .cpu, seed: 6)
        let index = try #require(target.namedParameters().firstIndex { $0.name == "layer2.0.conv1.weight" })
        expectError(.shapeMismatch(op: "emaUpdate", detail:
            "tensor \(index): target has 'layer2.0.conv1.weight' [3, 2, 3, 3], online has 'layer2.0.conv1.weight' [4, 2, 3, 3]")) {
            try emaUpdate(target: target, online: wider, momentum: 0.9)
        }
        let deeper = try ResNet(stem: .cifar, widths: [2, 3], blocks: [1, 2], inputChannels: 1, on: .cpu, seed: 6)
        let count = target.namedParameters().count
        expectError(.shapeMismatch(op: "emaUpdate", detail:
            "tensor \(count): target has nothing (\(count) tensors), online has 'layer2.1.conv1.weight' [3, 3, 3, 3]")) {
            try emaUpdate(target: target, online: deeper, momentum: 0.9)
        }
        let twin = try ResNet(stem: .cifar, widths: [2, 3], blocks: [1, 1], inputChannels: 1, on: .cpu, seed: 6)
        expectError(.invalidArgument("emaUpdate: momentum must be in [0, 1], got 1.5")) {
            try emaUpdate(target: target, online: twin, momentum: 1.5)
        }
        #expect(try Self.snapshot(target) == before)
    }
}
