import Testing
@testable import Simile

@Suite struct ForwardRecordTests {
    /// A ResNet with batch norm everywhere, so that each view's backward pass depends on its own batch statistics.
    private func model(on device: Device) throws -> ResNet {
        try ResNet(stem: .cifar, widths: [2, 3], blocks: [1, 1], inputChannels: 1, on: device, seed: 7)
    }

    private func views(on device: Device) throws -> (x1: Tensor, x2: Tensor, g1: Tensor, g2: Tensor) {
        (try Tensor(randomValues(2 * 36, seed: 90), shape: [2, 1, 6, 6], on: device),
         try Tensor(randomValues(2 * 36, seed: 91), shape: [2, 1, 6, 6], on: device),
         try Tensor(randomValues(2 * 3, seed: 92), shape: [2, 3], on: device),
         try Tensor(randomValues(2 * 3, seed: 93), shape: [2, 3], on: device))
    }

    @Test("two recorded forwards, backward in either order, equal two separate runs", arguments: TestBackend.allCases)
    func twoViews(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let (x1, x2, g1, g2) = try views(on: device)
        let separate = try model(on: device)
        let dx1 = try separate.recordedForward(x1).record.backward(g1).toArray()
        let once = try separate.namedParameters().map { try #require($0.parameter.gradient).toArray() }
        separate.zeroGradients()
        let dx2 = try separate.recordedForward(x2).record.backward(g2).toArray()
        let expected = try zip(once, separate.namedParameters()).map { first, second in
            zip(first, try #require(second.parameter.gradient).toArray()).map { Double($0) + Double($1) }
        }
        for reversed in [false, true] {
            let together = try model(on: device)
            let (_, record1) = try together.recordedForward(x1)
            let (_, record2) = try together.recordedForward(x2)
            let order = reversed ? [(record2, g2, dx2), (record1, g1, dx1)] : [(record1, g1, dx1), (record2, g2, dx2)]
            for (record, gradient, dx) in order {
                expectClose(try record.backward(gradient).toArray(), dx.map(Double.init), tolerance: 1e-6, "dx")
            }
            for ((name, parameter), sum) in zip(together.namedParameters(), expected) {
                expectClose(try #require(parameter.gradient).toArray(), sum, tolerance: 1e-6, "\(name), reversed \(reversed)")
            }
        }
    }

    @Test("a record serves one backward pass; a layer's backward needs its own forward in the record")
    func misuse() throws {
        let net = try model(on: .cpu)
        let (x, _, g, _) = try views(on: .cpu)
        let (_, record) = try net.recordedForward(x)
        _ = try record.backward(g)
        expectError(.invalidArgument(
            "this forward record was already used by a backward pass; record a new forward for another one")) {
            _ = try record.backward(g)
        }
        let relu = ReLU(), other = ReLU()
        let (_, otherRecord) = try other.recordedForward(x)
        expectError(.invalidArgument(
            "ReLU.backward: this record holds no forward call of the layer (it was not recorded, or its backward already ran)")) {
            _ = try relu.backward(x, from: otherRecord)
        }
        net.setTraining(false)
        expectError(.inLayer(path: "bn1", error: .invalidArgument(
            "BatchNorm2d in eval mode cannot record a forward for backward (its gradient is defined for batch statistics); switch to training mode with setTraining(true)"))) {
            _ = try net.recordedForward(x)
        }
    }

    @Test("a forward without a record keeps nothing but still trains batch norm's statistics")
    func unrecordedTrainingMode() throws {
        let net = try model(on: .cpu)
        let (x, _, _, _) = try views(on: .cpu)
        let before = try net.bn1.runningMean.toArray()
        _ = try net.forward(x)
        #expect(try net.bn1.runningMean.toArray() != before)
        #expect(net.bn1.batchesTracked == 1)
        net.setTraining(false)
        _ = try net.forward(x)
        #expect(net.bn1.batchesTracked == 1 && !net.bn1.isTraining)
    }

    @Test("a frozen parameter gets no gradient and the optimiser leaves it", arguments: TestBackend.allCases)
    func frozen(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let net = try model(on: device)
        let (x, _, g, _) = try views(on: device)
        net.conv1.setFrozen(true)
        net.bn1.bias.isFrozen = true
        let optimizer = try Optimizer(.sgd(momentum: 0.9), net.namedParameters(), learningRate: 0.1)
        let frozenBefore = try net.conv1.weight.value.toArray()
        let trainedBefore = try net.bn1.weight.value.toArray()
        _ = try net.recordedForward(x).record.backward(g)
        #expect(net.conv1.weight.gradient == nil && net.bn1.bias.gradient == nil && net.bn1.weight.gradient != nil)
        try optimizer.step()
        #expect(try net.conv1.weight.value.toArray() == frozenBefore)
        #expect(try net.bn1.weight.value.toArray() != trainedBefore)
        net.bn1.weight.isFrozen = true
        #expect(net.bn1.weight.gradient == nil)
    }
}
