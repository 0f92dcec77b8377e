import Testing
@testable import Simile

/// The blocking host waits (`HostWaitMeter`) of losses, uploads and a training step's ops on OpenCL: everything is
/// enqueued, and reading the loss is the one wait.
@Suite struct HostWaitTests {
    @Test("a contrastive loss and an InfoNCE loss wait for nothing; each value() is exactly one blocking wait")
    func lossesWaitOnlyInValue() throws {
        guard let device = try TestBackend.opencl.open() else { return }
        let z = try Tensor.normal([16, 8], seed: 1, on: device)
        let q = try Tensor.normal([6, 8], seed: 2, on: device), k = try Tensor.normal([6, 8], seed: 3, on: device)
        let bank = try Tensor.normal([300, 8], seed: 4, on: device)
        let (results, waits) = try HostWaitMeter.count {
            (try contrastiveLoss(z, method: .dclw, temperature: 0.1), try infoNCELoss(queries: q, keys: k, bank: bank))
        }
        #expect(waits == 0, "the losses waited \(waits) times")
        #expect(results.0.loss.shape == [1] && results.0.loss.device === device)
        #expect(results.1.loss.shape == [1] && results.1.loss.device === device)
        let (contrastive, contrastiveWaits) = try HostWaitMeter.count { try results.0.value() }
        let (infoNCE, infoNCEWaits) = try HostWaitMeter.count { try results.1.value() }
        #expect(contrastiveWaits == 1 && infoNCEWaits == 1, "value() waited \(contrastiveWaits), \(infoNCEWaits) times")
        #expect(contrastive.isFinite && infoNCE.isFinite)
        #expect(try results.0.loss.toArray() == [contrastive])
    }

    @Test("a non-finite input is reported by value(), naming its first element, on every backend",
          arguments: TestBackend.allCases)
    func nonFiniteInputAtValue(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        var values = randomValues(16 * 5, seed: 5)
        values[5 * 5 + 0] = .infinity
        values[3 * 5 + 2] = -.infinity
        values[3 * 5 + 1] = .nan
        let result = try contrastiveLoss(Tensor(values, shape: [16, 5], on: device), method: .ntxent)
        expectError(.invalidArgument("contrastiveLoss: z[3, 1] is nan; the input must be finite")) {
            _ = try result.value()
        }

        let q = try Tensor.normal([4, 3], seed: 6, on: device)
        var bankValues = randomValues(300 * 3, seed: 7)
        bankValues[250 * 3 + 0] = .nan
        bankValues[201 * 3 + 2] = .infinity
        let bank = try Tensor(bankValues, shape: [300, 3], on: device)
        let badBank = try infoNCELoss(queries: q, keys: q, bank: bank)
        expectError(.invalidArgument("infoNCELoss: bank[201, 2] is inf; the input must be finite")) {
            _ = try badBank.value()
        }
        var keyValues = try q.toArray()
        keyValues[1 * 3 + 1] = -.infinity
        let badKeys = try infoNCELoss(queries: q, keys: Tensor(keyValues, shape: [4, 3], on: device), bank: bank)
        expectError(.invalidArgument("infoNCELoss: keys[1, 1] is -inf; the input must be finite")) {
            _ = try badKeys.value()
        }
        expectError(.invalidArgument("nearestNeighbours: support[201, 2] is inf; the input must be finite")) {
            _ = try nearestNeighbours(of: q, in: bank)
        }
    }

    @Test("an upload does not wait, and its data arrives although the host memory is overwritten and freed at once")
    func uploadsDoNotWait() throws {
        guard let device = try TestBackend.opencl.open() else { return }
        let busy = try Tensor.normal([1024, 64], seed: 8, on: device)
        let count = 50_000
        let (tensors, waits) = try HostWaitMeter.count {
            _ = try contrastiveLoss(busy, method: .ntxent) // queued work the uploads go up behind
            return try (0..<6).map { round in
                let host = UnsafeMutablePointer<Float>.allocate(capacity: count)
                defer { host.deallocate() }
                for i in 0..<count { host[i] = Float(round * count + i) }
                let tensor = try Tensor(uninitialized: [count], on: device)
                try tensor.upload(from: host)
                host.update(repeating: -1, count: count)
                return tensor
            }
        }
        #expect(waits == 0, "the uploads waited \(waits) times")
        for (round, tensor) in tensors.enumerated() {
            #expect(try tensor.toArray() == (0..<count).map { Float(round * count + $0) }, "upload \(round)")
        }
    }

    @Test("with room for one staging block in flight, uploads reuse it only after its write has run: the data stays right")
    func stagingReusesABlockOnlyAfterItsWrite() throws {
        guard let device = try TestBackend.opencl.open(), let cl = device.openCL else { return }
        let count = 1024
        let staging = try CLStaging(context: cl.context, device: cl.info, inFlightLimit: count * 4)
        let tensors = try (0..<4).map { round in
            var host = (0..<count).map { Float(round * count + $0) }
            let tensor = try Tensor(uninitialized: [count], on: device)
            try staging.upload(&host, bytes: count * 4, to: tensor.clBuffer.mem, on: cl.queue)
            host = [Float](repeating: -1, count: count)
            return tensor
        }
        for (round, tensor) in tensors.enumerated() {
            #expect(try tensor.toArray() == (0..<count).map { Float(round * count + $0) }, "upload \(round)")
        }
    }

    /// The measure: one optimiser step of a small ResNet with a SimCLR head and the contrastive loss,
    /// the next batch uploaded during it, waits exactly once (reading the loss), on every OpenCL variant path.
    @Test("one training step of a ResNet, head, loss and LARS waits once: when the loss is read")
    func trainingStepWaitsOnce() throws {
        guard let device = try TestBackend.opencl.open() else { return }
        var generator = SeededGenerator(seed: 12)
        let encoder = try ResNet(stem: .cifar, widths: [4, 8], blocks: [1, 1], on: device, seed: 11)
        let head = Sequential([try Linear(8, 8, on: device, generator: &generator), try BatchNorm1d(8, relu: true, on: device),
                               try Linear(8, 4, on: device, generator: &generator)])
        let parameters = encoder.namedParameters() + head.namedParameters().map { ("head." + $0.name, $0.parameter) }
        let optimizer = try Optimizer(.lars(), parameters, learningRate: 0.1, weightDecay: 1e-6,
                                      groups: [.larsExcluded(learningRate: 0.1)])
        let images = (0..<8 * 3 * 8 * 8).map { Float($0 % 17) / 17 }
        let batch = try Tensor(images, shape: [8, 3, 8, 8], on: device)
        let (loss, waits) = try HostWaitMeter.count {
            let (features, encoderRecord) = try encoder.recordedForward(batch)
            let (z, headRecord) = try head.recordedForward(features)
            let loss = try contrastiveLoss(z, method: .ntxent, temperature: 0.2)
            _ = try encoderRecord.backward(headRecord.backward(loss.gradient))
            _ = try Tensor(images, shape: [8, 3, 8, 8], on: device)
            try optimizer.step()
            encoder.zeroGradients()
            head.zeroGradients()
            return loss
        }
        #expect(waits == 0, "the step waited \(waits) times before the loss was read")
        let (value, valueWaits) = try HostWaitMeter.count { try loss.value() }
        #expect(valueWaits == 1 && value.isFinite)
    }
}
