import Testing
@testable import Simile

@Suite struct TrainerTests {
    private func configuration(_ method: String = "simclr") throws -> TrainingConfiguration {
        var config = try TrainingConfiguration.defaults(for: "digits", method: method)
        (config.epochs, config.batchSize, config.trainSubset, config.head) = (2, 64, 256, [32, 16])
        return config
    }

    /// SimCLR, DCL and DCLW on the CPU, and SimCLR on OpenCL (the three differ only in the loss, tested on both
    /// backends); the other methods in `MethodTrainingTests`.
    @Test("two epochs on digits lower the loss", arguments: [
        (TestBackend.cpu, "simclr"), (.cpu, "dcl"), (.cpu, "dclw"), (.opencl, "simclr"),
    ])
    func lossDecreases(backend: TestBackend, method: String) throws {
        guard let device = try backend.open() else { return }
        let trainer = try Trainer(configuration(method), on: device)
        var losses: [Float] = []
        try trainer.run { losses.append($0.loss) }
        #expect(losses.count == 2 && trainer.step == 8)
        #expect(losses[1] < losses[0], "\(method) on \(backend): \(losses)")
    }

    @Test("the checkpoint holds the encoder, head, optimiser state and progress; the backbone the encoder alone")
    func checkpoint() throws {
        let scratch = try Scratch()
        let trainer = try Trainer(configuration(), on: .cpu)
        try trainer.run { _ in }
        try trainer.writeCheckpoint(to: scratch.directory)
        let (tensors, metadata) = try Safetensors.read(scratch.path("checkpoint.safetensors"))
        let names = Set(tensors.map(\.name))
        #expect(names.contains("encoder.conv1.weight") && names.contains("encoder.bn1.num_batches_tracked"))
        #expect(names.contains("head.0.weight") && names.contains("optimizer.head.0.weight.momentum_buffer"))
        #expect(tensors.first { $0.name == "progress.step" }?.data == .int64([8]))
        #expect(try TrainingConfiguration.defaults(for: "digits") != configuration()
                && metadata["configuration"] == (try configuration().json()))
        let backbone = try Safetensors.read(scratch.path("backbone.safetensors")).tensors
        let fresh = try ResNet.small(inputChannels: 1, on: .cpu, seed: 99)
        try fresh.load(backbone)
        #expect(try fresh.conv1.weight.value.toArray() == trainer.encoder.resnet.conv1.weight.value.toArray())
    }

    @Test("every step reports where its epoch stands, and a step tells its phases in order")
    func progressAndPhases() throws {
        let trainer = try Trainer(configuration(), on: .cpu)
        var seen: [StepProgress] = []
        try trainer.run(progress: { seen.append($0) }) { _ in }
        #expect(seen.map(\.epoch) == [1, 1, 1, 1, 2, 2, 2, 2] && seen.map(\.stepInEpoch) == [1, 2, 3, 4, 1, 2, 3, 4])
        #expect(seen.allSatisfy { $0.epochs == 2 && $0.stepsPerEpoch == 4 && $0.loss.isFinite && $0.imagesPerSecond > 0 })
        #expect(seen.last?.secondsLeftInEpoch == 0 && seen[0].secondsLeftInEpoch > 0)
        var phases: [StepPhase] = []
        let batch = try trainer.loader.batch(epoch: 2, indices: Array(0..<64))
        _ = try trainer.trainStep(batch, phases: StepPhaseObserver { phases.append($0) })
        #expect(phases == [.forward, .loss, .backward, .optimizer] && trainer.step == 9)
    }

    @Test("training with Winograd convolutions reaches the kNN accuracy of direct ones")
    func winogradTrainsAsDirect() throws {
        var accuracies: [Double] = []
        for algorithm in [ConvAlgorithm.direct, .winograd] {
            var config = try configuration()
            config.epochs = 4
            let trainer = try Trainer(config, on: .cpu)
            // Every 3×3 stride-1 convolution as asked (auto keeps the digits' small ones direct).
            for case let (_, conv as Conv2d) in trainer.encoder.namedLayers() where conv.stride == 1
                && conv.weight.value.shape[2] == 3 {
                conv.algorithm = algorithm
            }
            try trainer.run { _ in }
            let evaluation = try trainer.evaluate()
            accuracies.append(try #require(evaluation).knn.top1)
        }
        // The two runs round differently from the first step on and then diverge like two seeds, which moves the
        // kNN accuracy on the few hundred held-out digits by a few points; a wrong convolution lands near chance (0.1).
        #expect(accuracies.allSatisfy { $0 > 0.6 } && abs(accuracies[0] - accuracies[1]) <= 0.05,
                "direct, Winograd: \(accuracies)")
    }

    @Test("a run that cannot start is one clear error")
    func errors() throws {
        var config = try configuration()
        config.batchSize = 300
        expectError(.invalidArgument("--batch-size 300 is larger than the 256 training images")) {
            _ = try Trainer(config, on: .cpu)
        }
        config.batchSize = 1
        expectError(.invalidArgument("--batch-size must be ≥ 2 (each image needs another as a negative), got 1")) {
            _ = try Trainer(config, on: .cpu)
        }
        config = try configuration()
        config.temperature = 0
        #expect(throws: SimileError.self) { _ = try Trainer(config, on: .cpu) }
    }
}

@Suite struct TrainerResumeTests {
    /// A trainer restored from a checkpoint written after epoch 2 of 3 holds exactly the saved state and trains the
    /// last epoch. That the resumed run then ends bitwise where the uninterrupted one ends is tested across processes
    /// (`TrainCommandTests`): inside this test process other suites call OpenBLAS at the same time and change its
    /// thread count (`parallelCallingBLAS`), which changes the rounding of a run, so two runs here need not agree.
    @Test("a trainer restored from a checkpoint holds the saved state and continues from the saved step")
    func restores() throws {
        var config = try TrainingConfiguration.defaults(for: "digits")
        (config.epochs, config.batchSize, config.trainSubset, config.head) = (3, 64, 192, [32, 16])
        struct Interrupted: Error {}
        let scratch = try Scratch()
        let first = try Trainer(config, on: .cpu)
        #expect(throws: Interrupted.self) {
            try first.run { report in
                if report.epoch == 2 {
                    try first.writeCheckpoint(to: scratch.directory)
                    throw Interrupted()
                }
            }
        }
        let resumed = try Trainer(config, on: .cpu)
        try resumed.restore(from: Safetensors.read(scratch.path("checkpoint.safetensors")).tensors)
        #expect(resumed.epoch == 2 && resumed.step == 6)
        for ((name, a), (_, b)) in zip(resumed.checkpointState(), first.checkpointState()) {
            switch (a, b) {
            case let (.tensor(x), .tensor(y)): #expect(try x.toArray() == y.toArray(), "\(name)")
            case let (.count(x), .count(y)): #expect(x == y, "\(name)")
            default: Issue.record("\(name): kinds differ")
            }
        }
        var epochs: [Int] = []
        #expect(try resumed.run { epochs.append($0.epoch) })
        #expect(epochs == [3] && resumed.step == 9)
    }

    @Test("a checkpoint of another model is one error listing what does not fit")
    func otherModel() throws {
        var config = try TrainingConfiguration.defaults(for: "digits")
        (config.epochs, config.batchSize, config.trainSubset, config.head) = (1, 64, 128, [32, 16])
        let scratch = try Scratch()
        try Trainer(config, on: .cpu).writeCheckpoint(to: scratch.directory)
        config.head = [32, 8]
        let other = try Trainer(config, on: .cpu)
        expectError(.invalidArgument("load: the state does not fit this run's resnet-small + head 32,8 (head.*): "
                                     + "2.weight: shape [16, 32] in the state, "
                                     + "[8, 32] in the model; 2.bias: shape [16] in the state, [8] in the model")) {
            try other.restore(from: Safetensors.read(scratch.path("checkpoint.safetensors")).tensors)
        }
    }
}
