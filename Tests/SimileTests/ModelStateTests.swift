import Testing
@testable import Simile

@Suite struct ModelStateTests {
    private func small(on device: Device, seed: UInt64) throws -> ResNet {
        try ResNet(stem: .cifar, widths: [2, 3], blocks: [1, 1], inputChannels: 1, on: device, seed: seed)
    }

    private func input(on device: Device) throws -> Tensor {
        try Tensor(randomValues(2 * 36, seed: 95), shape: [2, 1, 6, 6], on: device)
    }

    @Test("ResNet-18's state dict has torchvision's keys, order and num_batches_tracked")
    func torchvisionKeys() throws {
        let state = try ResNet.resnet18(stem: .imagenet, classes: 1000, on: .cpu).stateDict()
        #expect(state.count == 122)
        #expect(state.prefix(7).map(\.name) == ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean",
                                                 "bn1.running_var", "bn1.num_batches_tracked", "layer1.0.conv1.weight"])
        #expect(state.suffix(3).map(\.name) == ["layer4.1.bn2.num_batches_tracked", "fc.weight", "fc.bias"])
        let counts = state.filter { $0.name.hasSuffix("num_batches_tracked") }
        #expect(counts.count == 20 && counts.allSatisfy { $0.value.shape == [] })
    }

    @Test("a state saved to safetensors loads into a fresh model with the same outputs", arguments: TestBackend.allCases)
    func roundTrip(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let scratch = try Scratch(), path = scratch.path("state.safetensors")
        let trained = try small(on: device, seed: 1)
        _ = try trained.forward(input(on: device))
        _ = try trained.forward(input(on: device))
        try Safetensors.write(state: trained.stateDict(), to: path)
        let fresh = try small(on: device, seed: 2)
        try fresh.load(Safetensors.read(path).tensors)
        #expect(fresh.bn1.batchesTracked == 2)
        for model in [trained, fresh] { model.setTraining(false) }
        #expect(try fresh.forward(input(on: device)).toArray() == trained.forward(input(on: device)).toArray())
        let read = try Safetensors.read(path).tensors
        #expect(read.first { $0.name == "layer2.0.bn2.num_batches_tracked" }?.data == .int64([2]))
    }

    @Test("load lists every missing, unexpected and wrong-shaped key at once and changes nothing")
    func loadErrors() throws {
        let model = try small(on: .cpu, seed: 1)
        var tensors = try Safetensors.tensors(state: model.stateDict())
        let good = tensors
        tensors.removeAll { $0.name == "bn1.bias" || $0.name == "layer1.0.conv2.weight" }
        tensors.append(SafetensorsTensor(name: "fc.weight", shape: [1], data: .float32([0])))
        tensors[0] = SafetensorsTensor(name: "conv1.weight", shape: [2, 1, 3, 2], data: .float32(Array(repeating: 0, count: 12)))
        tensors[4] = SafetensorsTensor(name: tensors[4].name, shape: [], data: .float32([1]))
        let before = try model.conv1.weight.value.toArray()
        expectError(.invalidArgument("load: the state does not fit this model: missing bn1.bias, layer1.0.conv2.weight; "
            + "unexpected fc.weight; conv1.weight: shape [2, 1, 3, 2] in the state, [2, 1, 3, 3] in the model; "
            + "bn1.num_batches_tracked: dtype F32 in the state, I64 in the model")) { try model.load(tensors) }
        expectError(.invalidArgument("load: the state does not fit this model: conv1.weight: shape [2, 1, 3, 2] in the "
            + "state, [2, 1, 3, 3] in the model; bn1.num_batches_tracked: dtype F32 in the state, I64 in the model")) {
            try model.load(tensors, strict: false)
        }
        #expect(try model.conv1.weight.value.toArray() == before)
        let partial = good.filter { $0.name != "bn1.bias" } + [SafetensorsTensor(name: "extra", shape: [], data: .int64([0]))]
        try model.load(partial, strict: false)
    }

    @Test("copyState and clone across devices give the same outputs and independent tensors",
          arguments: TestBackend.allCases)
    func copyAndClone(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let source = try small(on: .cpu, seed: 1), target = try small(on: device, seed: 2)
        _ = try source.forward(input(on: .cpu))
        try target.copyState(from: source)
        source.setTraining(false)
        target.setTraining(false)
        expectClose(try target.forward(input(on: device)).toArray(),
                    try source.forward(input(on: .cpu)).toArray().map(Double.init), tolerance: 1e-5, "copied")
        #expect(target.bn1.batchesTracked == 1)
        target.conv1.weight.isFrozen = true
        let twin = try target.clone()
        #expect(twin.conv1.weight.value !== target.conv1.weight.value && twin.conv1.weight.isFrozen && !twin.bn1.isTraining)
        #expect(try twin.forward(input(on: device)).toArray() == target.forward(input(on: device)).toArray())
        try scaleAdd(twin.conv1.weight.value, scale: 0, plus: twin.conv1.weight.value, times: 0)
        #expect(try target.conv1.weight.value.toArray().contains { $0 != 0 })
        expectError(.invalidArgument("copyState: the models differ in architecture: layer2.0.conv1.weight [3, 2, 3, 3] "
            + "against layer2.0.conv1.weight [2, 2, 3, 3]")) {
            try target.copyState(from: ResNet(stem: .cifar, widths: [2, 2], blocks: [1, 1], inputChannels: 1, on: .cpu))
        }
    }

    @Test("every layer type clones to an equal state")
    func cloneEveryType() throws {
        for layer in try LayerRegistrationTests.everyLayerType() {
            let copy = try layer.clone()
            #expect(copy !== layer)
            let (a, b) = (layer.stateDict(), copy.stateDict())
            #expect(a.map(\.name) == b.map(\.name), "\(type(of: layer))")
            for ((name, x), (_, y)) in zip(a, b) {
                switch (x, y) {
                case let (.tensor(s), .tensor(t)): #expect(try s.toArray() == t.toArray() && s !== t, "\(name)")
                case let (.count(s), .count(t)): #expect(s == t, "\(name)")
                default: Issue.record("\(name): kinds differ")
                }
            }
        }
    }
}
