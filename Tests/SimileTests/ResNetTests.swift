import Testing
@testable import Simile

@Suite struct ResNetTests {
    @Test("ResNet-18 has torchvision's parameter names and count")
    func torchvisionLayout() throws {
        let model = try ResNet.resnet18(stem: .cifar, on: .cpu)
        let names = model.namedParameters().map(\.name)
        #expect(names.count == 60)
        #expect(Array(names.prefix(4)) == ["conv1.weight", "bn1.weight", "bn1.bias", "layer1.0.conv1.weight"])
        #expect(names.contains("layer2.0.downsample.0.weight") && names.contains("layer4.0.downsample.1.bias"))
        #expect(names.last == "layer4.1.bn2.bias")
        #expect(model.namedParameters().reduce(0) { $0 + $1.parameter.value.count } == 11_168_832)
        #expect(model.namedBuffers().count == 40 && model.namedBuffers().first?.name == "bn1.running_mean")
        let imagenet = try ResNet.resnet18(stem: .imagenet, classes: 1000, on: .cpu)
        #expect(imagenet.namedParameters().reduce(0) { $0 + $1.parameter.value.count } == 11_689_512)
        #expect(imagenet.conv1.weight.value.shape == [64, 3, 7, 7] && imagenet.maxpool != nil)
    }

    /// Forward passes are compared as they are. The backward pass is discontinuous where a ReLU's input is 0, and
    /// among the ~1.5 million ReLU inputs of a batch of 4 about one lies within float rounding (~1e-6) of 0, so the
    /// two backends may take different branches there (seen: one element of layer4.1's output), which moves
    /// every gradient below it by up to a few per cent. Before the backward pass the OpenCL model is therefore
    /// given the CPU's ReLU outputs (the masks); with the same branches, all gradients must agree to 1e-4.
    @Test("ResNet-18 CIFAR forward and backward agree on CPU and OpenCL (batch 4)")
    func backendsAgree() throws {
        guard let openCL = try TestBackend.opencl.open() else { return }
        let cpuModel = try ResNet.resnet18(stem: .cifar, on: .cpu), clModel = try ResNet.resnet18(stem: .cifar, on: openCL)
        let x = try Tensor.normal([4, 3, 32, 32], seed: 82, on: .cpu)
        let (cpuOutput, cpuRecord) = try cpuModel.recordedForward(x)
        let (clOutput, clRecord) = try clModel.recordedForward(x.to(openCL))
        expectAgree(try clOutput.toArray(), try cpuOutput.toArray(), "features")
        for ((name, cl), (_, cpu)) in zip(clModel.namedBuffers(), cpuModel.namedBuffers()) {
            expectAgree(try cl.toArray(), try cpu.toArray(), name)
        }
        try shareReLUMasks(from: (cpuModel, cpuRecord), to: (clModel, clRecord))
        let upstream = try Tensor.normal(cpuOutput.shape, seed: 83, on: .cpu)
        _ = try cpuRecord.backward(upstream)
        _ = try clRecord.backward(upstream.to(openCL))
        for ((name, cl), (_, cpu)) in zip(clModel.namedParameters(), cpuModel.namedParameters()) {
            expectAgree(try #require(cl.gradient).toArray(), try #require(cpu.gradient).toArray(), name + " gradient")
        }
        #expect(cpuModel.namedParameters().count == 60 && cpuModel.namedBuffers().count == 40)
    }

    @Test("gradients through a small ResNet match finite differences", arguments: TestBackend.allCases)
    func finiteDifferenceCheck(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let model = try ResNet(stem: .cifar, widths: [2, 3], blocks: [1, 1], inputChannels: 1, on: device, seed: 5)
        let shape = [2, 1, 6, 6]
        let xs = randomValues(72, seed: 80), upstream = randomValues(2 * 3, seed: 81)
        let x = try Tensor(xs, shape: shape, on: device)
        let dx = try model.recordedForward(x).record.backward(Tensor(upstream, shape: [2, 3], on: device)).toArray()
        func objective(_ input: [Float]) throws -> Double {
            let y = try model.forward(Tensor(input, shape: shape, on: device)).toArray()
            return zip(y, upstream).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        expectClose(dx, try finiteDifferences(xs, step: 1e-3, objective), tolerance: 5e-3, "dx")
        let weight = try #require(model.namedParameters().first { $0.name == "layer2.0.conv1.weight" }).parameter
        let analytic = try #require(weight.gradient).toArray(), original = try weight.value.toArray()
        let numeric = try finiteDifferences(original, step: 1e-3) { probe in
            weight.value = try Tensor(probe, shape: weight.value.shape, on: device)
            return try objective(xs)
        }
        expectClose(analytic, numeric, tolerance: 5e-3, "layer2.0.conv1.weight gradient")
    }

    @Test("bad input names the layer")
    func badInput() throws {
        let model = try ResNet.small(on: .cpu)
        for shape in [[2, 1, 32, 32], [2, 3, 32]] {
            do {
                _ = try model.forward(Tensor.zeros(shape, on: .cpu))
                Issue.record("input \(shape) was accepted")
            } catch let SimileError.inLayer(path, .shapeMismatch(op, _)) {
                #expect(path == "conv1" && op == "conv2d", "\(shape): \(path) \(op)")
            }
        }
        #expect(throws: SimileError.self) { try ResNet(stem: .cifar, widths: [8], blocks: [0], on: .cpu) }
    }

    /// Replaces the ReLU outputs that the target record holds (every batch norm's that fuses a ReLU: the stem's, every
    /// block's bn1, and every block's bn2 with the shortcut added) with copies of the source record's, taken from the
    /// same layer paths of the source model, so that both backward passes take the same branches.
    private func shareReLUMasks(from source: (model: ResNet, record: ForwardRecord),
                                to target: (model: ResNet, record: ForwardRecord)) throws {
        let device = target.model.conv1.weight.value.device
        for ((path, layer), (_, twin)) in zip(target.model.namedLayers(), source.model.namedLayers()) {
            guard let norm = layer as? BatchNorm,
                  let saved = target.record[latest: norm, as: BatchNorm.Saved.self], saved.output != nil else { continue }
            let output = try #require(source.record[latest: twin, as: BatchNorm.Saved.self]?.output, "\(path)")
            target.record[latest: norm, as: BatchNorm.Saved.self] = (saved.input, try output.to(device), saved.statistics)
        }
    }

    /// Expects max |a − b| ≤ tolerance · max |b|: agreement relative to the tensor's scale.
    private func expectAgree(_ actual: [Float], _ expected: [Float], _ label: String, tolerance: Float = 1e-4,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        let scale = expected.map(abs).max() ?? 0
        let error = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
        #expect(actual.count == expected.count && error <= tolerance * max(scale, .leastNormalMagnitude),
                "\(label): max difference \(error) against scale \(scale)", sourceLocation: sourceLocation)
    }
}
