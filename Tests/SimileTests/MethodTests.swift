import Foundation
import Testing
@testable import Simile

extension TrainingConfiguration {
    /// This configuration with `change` made.
    func with(_ change: (inout TrainingConfiguration) -> Void) -> TrainingConfiguration {
        var copy = self
        change(&copy)
        return copy
    }
}

/// MoCo, BYOL, SimSiam, NNCLR, InstDisc, SwAV and PIRL on the open method protocol: training on both backends, what their targets and queues may
/// and may not do, and the registry's checks.
@Suite struct MethodTests {
    /// A small run of `method` on 256 digits: batch 64, 4 steps an epoch, a head (and predictor) narrow enough to
    /// be quick. MoCo gets a queue of one step's keys and lr 0.01: at the default 0.06 its embeddings on so few
    /// images collapse in the first epochs (std ≈ 0.005 against 0.25 healthy) and recover only after some 40 steps,
    /// as README's digits run shows, which a test of three epochs cannot wait for.
    static func configuration(_ method: String, epochs: Int = 2) throws -> TrainingConfiguration {
        var config = try TrainingConfiguration.defaults(for: "digits", method: method)
        (config.epochs, config.batchSize, config.trainSubset) = (epochs, 64, 256)
        config.head = method == "simsiam" ? [32, 32, 16] : [32, 16]
        if config.predictor != nil { config.predictor = [32, 16] }
        if config.queueSize != nil { (config.queueSize, config.learningRate) = (128, 0.01) }
        return config
    }

    /// The loss of every epoch after the first goes down (MoCo's and NNCLR's first epochs are left out: their queues
    /// start as random unit vectors, easier negatives and other positives than the projections that replace them),
    /// and the embeddings never collapse.
    @Test("three epochs on digits: finite, decreasing loss and no collapse warning, on each backend",
          arguments: ["moco", "byol", "simsiam", "nnclr", "instdisc", "swav", "pirl"], TestBackend.allCases)
    func trains(method: String, backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let trainer = try Trainer(Self.configuration(method, epochs: 3), on: device)
        var reports: [EpochReport] = []
        try trainer.run { reports.append($0) }
        let losses = reports.map(\.loss)
        #expect(losses.allSatisfy(\.isFinite) && losses[2] < losses[1], "\(method) on \(backend): \(losses)")
        if !["moco", "nnclr"].contains(method) { #expect(losses[1] < losses[0], "\(method) on \(backend): \(losses)") }
        let spreads = reports.map(\.embeddingStd)
        #expect(spreads.allSatisfy { !trainer.collapseMonitor.isCollapsing($0) }, "\(method) on \(backend): \(spreads)")
    }

    @Test("SwAV with multi-crop: two large crops and small ones, three epochs on digits, finite and decreasing loss, on each backend",
          arguments: TestBackend.allCases)
    func swavMultiCrop(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let config = try Self.configuration("swav", epochs: 3).with { $0.multiCrop = MultiCrop(count: 3, size: 6) }
        let trainer = try Trainer(config, on: device)
        #expect(trainer.loader.augmentations.map(\.outputHeight) == [8, 8, 6, 6, 6])
        #expect(trainer.loader.augmentations.map { $0.crop?.scale } == [Interval(0.14, 1), Interval(0.14, 1)]
                + Array(repeating: Interval(0.05, 0.14), count: 3))
        var reports: [EpochReport] = []
        try trainer.run { reports.append($0) }
        let losses = reports.map(\.loss)
        #expect(losses.allSatisfy(\.isFinite) && losses[2] < losses[1] && losses[1] < losses[0], "\(backend): \(losses)")
        expectError(.invalidArgument("--multi-crop is not a setting of simclr")) {
            try config.with { ($0.method, $0.prototypes) = ("simclr", nil) }.validate()
        }
        expectError(.invalidArgument("--multi-crop needs at least 1 crop of at least 1 pixel, got 0 of 6")) {
            try config.with { $0.multiCrop = MultiCrop(count: 0, size: 6) }.validate()
        }
    }

    @Test("SwAV's queue: filled from its start epoch, used once full (the loss then differs from a run without one), on each backend",
          arguments: TestBackend.allCases)
    func swavQueue(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let plain = try Self.configuration("swav", epochs: 3)
        let config = plain.with { $0.swavQueue = SwAVQueue(length: 128, startEpoch: 1) }
        let trainer = try Trainer(config, on: device)
        let swav = try #require(trainer.method as? SwAV)
        var fills: [Int] = [], losses: [Float] = []
        try trainer.run {
            fills.append(swav.queued)
            losses.append($0.loss)
        }
        // Four steps an epoch of 64 rows: nothing in epoch 0, full (128) after the first two steps of epoch 1.
        #expect(fills == [0, 128, 128])
        #expect(swav.state.map(\.name) == ["queue_0", "queue_0_pointer", "queue_1", "queue_1_pointer", "queued"])
        var without: [Float] = []
        try Trainer(plain, on: device).run { without.append($0.loss) }
        #expect(losses.allSatisfy(\.isFinite) && losses[0] == without[0] && losses[2] != without[2],
                "\(losses) against \(without)")
        expectError(.invalidArgument("--swav-queue needs a length that is a positive multiple of the batch (64) and a "
                                     + "start epoch ≥ 0, got 100 and 1")) {
            try plain.with { $0.swavQueue = SwAVQueue(length: 100, startEpoch: 1) }.validate()
        }
    }

    @Test("SimCLR with the triplet loss, either mining: three epochs on digits, finite and decreasing loss, no collapse",
          arguments: TripletMining.allCases, TestBackend.allCases)
    func tripletTrains(mining: TripletMining, backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let config = try Self.configuration("simclr", epochs: 3).with { $0.triplet = TripletSettings(mining: mining) }
        let trainer = try Trainer(config, on: device)
        #expect((trainer.method as? SimCLR)?.triplet == TripletSettings(margin: 0.2, mining: mining))
        var reports: [EpochReport] = []
        try trainer.run { reports.append($0) }
        let losses = reports.map(\.loss)
        #expect(losses.allSatisfy(\.isFinite) && losses[2] < losses[0], "\(mining) on \(backend): \(losses)")
        #expect(reports.allSatisfy { !trainer.collapseMonitor.isCollapsing($0.embeddingStd) })
        expectError(.invalidArgument("--loss is not a setting of dcl")) {
            try config.with { $0.method = "dcl" }.validate()
        }
    }

    @Test("a step's forward and backward leave the target networks' parameters and MoCo's queue as they were, with no gradient")
    func noGradientIntoTargets() throws {
        for method in ["moco", "byol"] {
            let trainer = try Trainer(Self.configuration(method), on: .cpu)
            let target = try #require((trainer.method as? MoCo)?.target ?? (trainer.method as? BYOL)?.target)
            let frozen = target.encoder.namedParameters() + target.head.namedParameters()
            let queue = (trainer.method as? MoCo)?.queue.rows
            let before = try frozen.map { try $0.parameter.value.toArray() }
            let queueBefore = try queue?.toArray()
            let batch = try trainer.loader.batch(epoch: 0, indices: Array(0..<64))
            _ = try trainer.method.forwardBackward(MethodBatch(batch), encoder: trainer.encoder, phases: .none)
            #expect(try frozen.map { try $0.parameter.value.toArray() } == before, "\(method)")
            #expect(frozen.allSatisfy { $0.parameter.gradient == nil }, "\(method)")
            #expect(try queue?.toArray() == queueBefore, "\(method)")
            // The online networks did get gradients.
            #expect(trainer.encoder.resnet.conv1.weight.gradient != nil, "\(method)")
        }
    }

    @Test("NNCLR's step reads its support queue without changing it; afterStep enqueues the second view's unit projections")
    func nnclrSupport() throws {
        let trainer = try Trainer(Self.configuration("nnclr"), on: .cpu)
        let nnclr = try #require(trainer.method as? NNCLR)
        let before = try nnclr.support.rows.toArray()
        let batch = try trainer.loader.batch(epoch: 0, indices: Array(0..<64))
        let step = try nnclr.forwardBackward(MethodBatch(batch), encoder: trainer.encoder, phases: .none)
        #expect(try nnclr.support.rows.toArray() == before && nnclr.support.pointer == 0)
        #expect(nnclr.projector.namedParameters().allSatisfy { $0.parameter.gradient != nil })
        try nnclr.afterStep(0, of: 1)
        let width = 64 * 16
        let units: [Float] = try l2Normalize(step.embeddings).y.toArray()
        let after: [Float] = try nnclr.support.rows.toArray()
        #expect(nnclr.support.pointer == 64)
        #expect(after[0..<width] == units[width..<2 * width])
        #expect(after[width...] == before[width...])
    }

    @Test("InstDisc (one view) and PIRL (an image and its jigsaw): the step leaves the bank alone, afterStep moves exactly the batch's rows toward their unit embeddings",
          arguments: ["instdisc", "pirl"], TestBackend.allCases)
    func bankUpdate(method: String, backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let trainer = try Trainer(Self.configuration(method), on: device)
        let memory = try #require((trainer.method as? InstDisc)?.memory ?? (trainer.method as? PIRL)?.memory)
        #expect(trainer.loader.viewsPerImage == (method == "pirl" ? 2 : 1) && memory.rows.shape == [256, 16])
        let before = try memory.rows.toArray().map(Double.init)
        let images = [200, 3, 77] + Array(100..<161)
        let batch = try trainer.loader.batch(epoch: 0, indices: images)
        let step = try trainer.method.forwardBackward(MethodBatch(batch), encoder: trainer.encoder, phases: .none)
        #expect(try memory.rows.toArray().map(Double.init) == before)
        #expect(step.embeddings.shape == [64, 16] && step.features.shape[0] == 64)
        let trained = trainer.encoder.namedParameters() + trainer.method.trainable.flatMap { $0.layer.namedParameters() }
        #expect(trained.allSatisfy { $0.parameter.gradient != nil }, "\(method): a network got no gradient")
        try trainer.method.afterStep(0, of: 1)
        let units = try l2Normalize(step.embeddings).y.toArray().map(Double.init)
        var expected = before
        for (row, image) in images.enumerated() {
            let mixed = (0..<16).map { 0.5 * before[image * 16 + $0] + 0.5 * units[row * 16 + $0] }
            let norm = mixed.reduce(0) { $0 + $1 * $1 }.squareRoot()
            expected.replaceSubrange(image * 16..<(image + 1) * 16, with: mixed.map { $0 / norm })
        }
        expectClose(try memory.rows.toArray(), expected, tolerance: 1e-6, "\(method): bank after one step")
    }

    @Test("InstDisc and PIRL with NCE (--loss nce): Z estimated by each step of the first epoch and the next, then kept; three epochs with finite, decreasing loss, on each backend",
          arguments: ["instdisc", "pirl"], TestBackend.allCases)
    func nceTrains(method: String, backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let config = try Self.configuration(method, epochs: 3).with { $0.nce = NCESettings(negatives: 100) }
        let trainer = try Trainer(config, on: device)
        let memory = try #require((trainer.method as? InstDisc)?.memory ?? (trainer.method as? PIRL)?.memory)
        let nce = try #require(memory.nce)
        #expect(nce.negatives == 100 && trainer.method.state.map(\.name) == ["bank", "nce_normaliser"])
        #expect(try nce.normaliser.toArray() == [0, 0])
        // Z is estimated afresh by each step of the first epoch (4 steps) and by step 4, then kept.
        var estimates: [[Float]] = []
        var reports: [EpochReport] = []
        try trainer.run { report in
            reports.append(report)
            estimates.append((try? nce.normaliser.toArray()) ?? [])
        }
        let losses = reports.map(\.loss)
        #expect(losses.allSatisfy(\.isFinite) && losses[2] < losses[1] && losses[1] < losses[0], "\(method) on \(backend): \(losses)")
        #expect(estimates[1][0] == 1 && estimates[1][1].isFinite && estimates[1][1] > log(256), "\(estimates)")
        #expect(estimates[1] == estimates[2] && estimates[0] != estimates[1], "\(estimates)")
        expectError(.invalidArgument("--negatives is not a setting of simclr")) {
            try config.with { $0.method = "simclr" }.validate()
        }
        expectError(.invalidArgument("--negatives must be in 1...65536, got 0")) {
            try config.with { $0.nce = NCESettings(negatives: 0) }.validate()
        }
    }

    @Test("the kNN from the bank: InstDisc and PIRL compare each test image's embedding with their bank's rows at τ; SimCLR has none")
    func bankKNN() throws {
        for method in ["instdisc", "pirl", "simclr"] {
            let trainer = try Trainer(Self.configuration(method, epochs: 1), on: .cpu)
            try trainer.run { _ in }
            let evaluation = try #require(try trainer.evaluate())
            guard let bank = trainer.method.memoryBank else {
                #expect(method == "simclr" && evaluation.bankKNN == nil)
                continue
            }
            let (test, train) = (try #require(trainer.testSet), trainer.trainSet)
            let features = try extractFeatures(trainer.encoder, of: test, size: 8, statistics: trainer.statistics)
            let head = try #require((trainer.method as? InstDisc)?.head ?? (trainer.method as? PIRL)?.imageHead)
            head.setTraining(false)
            let expected = try knnClassify(train: bank.rows, trainLabels: train.allLabels(), test: head.forward(features),
                                           testLabels: test.allLabels(), classes: 10, temperature: 0.07)
            head.setTraining(true)
            #expect(evaluation.bankKNN == expected && expected != evaluation.knn, "\(method)")
        }
    }

    @Test("PIRL's second view is its first chain's jigsaw, and the step cuts its pieces: 3×3 of 2 pixels on 8×8 digits")
    func pirlViews() throws {
        let trainer = try Trainer(Self.configuration("pirl"), on: .cpu)
        let pirl = try #require(trainer.method as? PIRL)
        #expect(trainer.loader.augmentations[0].jigsaw == nil)
        #expect(trainer.loader.augmentations[1].jigsaw == .init(grid: 3, piece: 2) && pirl.jigsaw == .init(grid: 3, piece: 2))
        let batch = try trainer.loader.batch(epoch: 0, indices: Array(0..<4))
        #expect(batch.parameters[0..<4].allSatisfy { $0.parameters.jigsaw == nil })
        #expect(batch.parameters[4..<8].allSatisfy { $0.parameters.jigsaw?.pieces.count == 9 })
        // The packed grid covers 6 × 6 of the 8 × 8 view: the last two rows and columns are 0.
        let mosaics = try rowBlock(batch.views, 4..<8).toArray()
        #expect((0..<4).allSatisfy { image in (0..<64).allSatisfy { p in p / 8 < 6 && p % 8 < 6 || mosaics[image * 64 + p] == 0 } })
        var config = try Self.configuration("pirl")
        config.augmentation = AugmentationTuning(jigsaw: "none")
        expectError(.invalidArgument("pirl learns from a jigsaw of its second view: --jigsaw none leaves it none")) {
            _ = try Trainer(config, on: .cpu)
        }
        config.augmentation = AugmentationTuning(jigsaw: "2,3")
        let tuned = try Trainer(config, on: .cpu)
        #expect(tuned.loader.augmentations.map(\.jigsaw) == [nil, .init(grid: 2, piece: 3)])
    }

    @Test("SwAV's prototypes are unit rows at every forward and take no step in the first epoch, then do")
    func swavPrototypes() throws {
        let trainer = try Trainer(Self.configuration("swav"), on: .cpu)
        let swav = try #require(trainer.method as? SwAV)
        #expect(swav.prototypes.weight.value.shape == [64, 16] && trainer.loader.sampler.batchesPerEpoch == 4)
        let batch = try trainer.loader.batch(epoch: 0, indices: Array(0..<64))
        for step in 0..<5 {
            let before = try swav.prototypes.weight.value.toArray()
            try trainer.trainStep(batch)
            let after = try swav.prototypes.weight.value.toArray()
            let norms = (0..<64).map { row in (0..<16).reduce(0) { $0 + after[row * 16 + $1] * after[row * 16 + $1] } }
            let moved = zip(after, before).map { abs($0 - $1) }.max()!
            if step < 4 {
                // Frozen, but renormalised before the forward pass (the random start is not unit length; a unit row
                // renormalised moves by rounding alone).
                #expect(step == 0 || moved < 1e-6, "step \(step): \(moved)")
                #expect(norms.allSatisfy { abs($0 - 1) < 1e-5 }, "step \(step)")
            } else {
                #expect(moved > 1e-4, "step \(step): \(moved)")
            }
        }
    }

    @Test("a SwAV run whose scores carry nothing sits at ln K and is named; a training one is not")
    func swavCollapsedLoss() throws {
        let trainer = try Trainer(Self.configuration("swav"), on: .cpu)
        let swav = try #require(trainer.method as? SwAV)
        let collapsed = try #require(swav.collapsedLoss)
        #expect(collapsed.value == Float(log(64.0)) && collapsed.meaning == "ln 64: predictions uniform over the prototypes")
        let byol = try Trainer(Self.configuration("byol"), on: .cpu)
        #expect(byol.method.collapsedLoss == nil)
        let batch = try trainer.loader.batch(epoch: 0, indices: Array(0..<64))
        let healthy = try trainer.trainStep(batch)
        #expect(!trainer.collapseMonitor.isStuck(loss: healthy.loss, at: collapsed.value), "\(healthy.loss)")
        // Zero prototypes (they stay zero through the renormalisation): every score is 0, every prediction uniform.
        try copy(Tensor.zeros(swav.prototypes.weight.value.shape, on: .cpu), into: swav.prototypes.weight.value)
        let stuck = try trainer.trainStep(batch)
        #expect(abs(stuck.loss - collapsed.value) < 1e-5 && trainer.collapseMonitor.isStuck(loss: stuck.loss, at: collapsed.value))
    }

    @Test("the target follows θt ← m·θt + (1 − m)·θo with m on the half cosine of the global step")
    func emaByHand() throws {
        let trainer = try Trainer(Self.configuration("byol"), on: .cpu)
        let byol = try #require(trainer.method as? BYOL)
        let total = trainer.totalSteps
        for step in [0, total / 2] {
            let online = try trainer.encoder.resnet.conv1.weight.value.toArray()
            let before = try byol.target.encoder.resnet.conv1.weight.value.toArray()
            // Move the online weights so that the average has something to do.
            try axpy(0.5, Tensor.full(trainer.encoder.resnet.conv1.weight.value.shape, 1, on: .cpu),
                     trainer.encoder.resnet.conv1.weight.value)
            let moved = online.map { $0 + 0.5 }
            try byol.afterStep(step, of: total)
            let m = Double(1) - (1 - 0.99) * (cos(Double.pi * Double(step) / Double(total)) + 1) / 2
            #expect(abs(Double(byol.target.momentum(after: step, of: total)) - m) < 1e-7)
            let expected = zip(before, moved).map { m * Double($0) + (1 - m) * Double($1) }
            let actual = try byol.target.encoder.resnet.conv1.weight.value.toArray()
            #expect(zip(actual, expected).allSatisfy { abs(Double($0) - $1) < 1e-6 }, "step \(step)")
        }
    }

    @Test("MoCo's queue is a FIFO of unit keys: order, wrap-around, a short batch and one longer than the queue")
    func queueOrder() throws {
        var config = try Self.configuration("moco")
        config.queueSize = 5
        config.head = [32, 2]
        let moco = try #require(try Trainer(config, on: .cpu).method as? MoCo)
        func keys(_ values: [Float]) throws -> Tensor { try Tensor(values, shape: [values.count / 2, 2], on: .cpu) }
        func rows() throws -> [[Float]] {
            let values = try moco.queue.rows.toArray()
            return (0..<5).map { Array(values[2 * $0..<2 * $0 + 2]) }
        }
        try moco.queue.enqueue(keys([3, 4, 0, 2, -1, 0]))  // 3 keys: rows 0..<3
        #expect(moco.queue.pointer == 3)
        #expect(Array(try rows()[0..<3]) == [[0.6, 0.8], [0, 1], [-1, 0]])
        try moco.queue.enqueue(keys([2, 0, 0, -5, 1, 0]))  // 3 keys: rows 3, 4, then 0
        #expect(moco.queue.pointer == 1)
        #expect(try rows() == [[1, 0], [0, 1], [-1, 0], [1, 0], [0, -1]])
        try moco.queue.enqueue(keys([0, 3]))  // a short batch of 1
        #expect(moco.queue.pointer == 2)
        #expect(try rows()[1] == [0, 1])
        try moco.queue.enqueue(keys([1, 0, 2, 0, 0, 3, 0, 4, 5, 0, 0, 6, 7, 0]))  // 7 keys: the last 5 stay, oldest first
        #expect(moco.queue.pointer == 2)
        #expect(try rows() == [[0, 1], [1, 0], [0, 1], [0, 1], [1, 0]])
    }

    @Test("a collapsed projector trips the collapse monitor; a healthy one does not")
    func collapseMonitor() throws {
        let trainer = try Trainer(Self.configuration("simclr"), on: .cpu)
        let batch = try trainer.loader.batch(epoch: 0, indices: Array(0..<64))
        let healthy = try trainer.trainStep(batch)
        #expect(!trainer.collapseMonitor.isCollapsing(healthy.embeddingStd), "\(healthy.embeddingStd)")
        #expect(trainer.collapseMonitor.threshold == 0.1 / Float(16).squareRoot())
        // The last layer's weight at 0 leaves its bias: every image's projection is the same vector.
        let last = try #require((trainer.method as? SimCLR)?.head.layers.last as? Linear)
        try copy(Tensor.zeros(last.weight.value.shape, on: .cpu), into: last.weight.value)
        let collapsed = try trainer.trainStep(batch)
        #expect(collapsed.embeddingStd < 1e-6 && trainer.collapseMonitor.isCollapsing(collapsed.embeddingStd),
                "\(collapsed.embeddingStd)")
    }

    @Test("the online probe learns the labels from detached features: the encoder trains as it does without it")
    func onlineProbe() throws {
        var config = try Self.configuration("simclr")
        config.onlineProbe = true
        let probed = try Trainer(config, on: .cpu)
        config.onlineProbe = nil
        let plain = try Trainer(config, on: .cpu)
        let unprobed = try plain.evaluate()
        #expect(plain.onlineProbe == nil && unprobed?.onlineProbe == nil)
        let batch = try probed.loader.batch(epoch: 0, indices: Array(0..<64))
        try probed.trainStep(batch)
        try plain.trainStep(batch)
        // No gradient of the probe reaches the encoder: one step leaves both encoders alike (to BLAS's rounding).
        let (a, b) = (try probed.encoder.resnet.conv1.weight.value.toArray(), try plain.encoder.resnet.conv1.weight.value.toArray())
        #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(probed.optimizer.group(of: "online_probe.weight").map { probed.optimizer.groups[$0].weightDecay } == 0)
        #expect(probed.checkpointState().contains { $0.name == "online_probe.weight" })
        // Eight epochs of 4 steps: a probe trained on 32 batches (README's digits run reaches 0.77 in 25).
        let longer = try Trainer(Self.configuration("simclr", epochs: 8).with { $0.onlineProbe = true }, on: .cpu)
        try longer.run { _ in }
        let accuracy = try #require(try longer.evaluate()?.onlineProbe)
        #expect(accuracy.top1 > 0.4, "\(accuracy.top1)")  // ten classes: chance is 0.1
    }

    @Test("copyRows and swappingHalves move whole rows on each backend, and refuse what does not fit",
          arguments: TestBackend.allCases)
    func copyingRows(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let x = try Tensor((0..<12).map(Float.init), shape: [4, 3], on: device)
        #expect(try swappingHalves(x).toArray() == [6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4, 5])
        let destination = try Tensor.zeros([3, 3], on: device)
        try copyRows(x, from: 1, count: 2, into: destination, at: 1)
        #expect(try destination.toArray() == [0, 0, 0, 3, 4, 5, 6, 7, 8])
        expectError(.invalidArgument("copyRows: rows 3..<5 of [4, 3] into rows 0..<2 of [3, 3] are out of range")) {
            try copyRows(x, from: 3, count: 2, into: destination, at: 0)
        }
        expectError(.invalidArgument("copyRows: rows 0..<2 and 1..<3 of one tensor overlap")) {
            try copyRows(x, from: 0, count: 2, into: x, at: 1)
        }
        expectError(.shapeMismatch(op: "swappingHalves", detail: "[3, 3] has an odd number of rows")) {
            _ = try swappingHalves(destination)
        }
    }

    @Test("SimSiam's predictor trains at the base learning rate whatever the schedule says; its projector ends in a batch norm without affine parameters")
    func simSiamPredictorGroup() throws {
        let trainer = try Trainer(Self.configuration("simsiam"), on: .cpu)
        let group = try #require(trainer.optimizer.group(of: "predictor.0.weight").map { trainer.optimizer.groups[$0] })
        let base: Float = 0.05 * 64 / 256
        #expect(group.fixedLearningRate && group.learningRate == base)
        try trainer.optimizer.setLearningRate(0.001)
        let fixed: [Float] = trainer.optimizer.groups.filter(\.fixedLearningRate).map(\.learningRate)
        #expect(fixed == [base])
        #expect(trainer.optimizer.group(of: "encoder.conv1.weight").map { trainer.optimizer.groups[$0].learningRate } == 0.001)
        let names = trainer.checkpointState().map(\.name)
        #expect(names.contains("head.5.running_mean") && !names.contains("head.5.weight") && names.contains("head.3.weight"))
    }

    @Test("the registry lists every method once, and a setting a method does not read is refused")
    func registry() throws {
        #expect(MethodRegistry.names == ["simclr", "dcl", "dclw", "moco", "byol", "simsiam", "nnclr", "instdisc",
                                        "swav", "pirl", "yadim"])
        var config = try TrainingConfiguration.defaults(for: "digits", method: "byol")
        config.queueSize = 10
        expectError(.invalidArgument("--queue-size is not a setting of byol")) { try config.validate() }
        config = try TrainingConfiguration.defaults(for: "digits", method: "moco")
        config.emaMomentum = .nan
        expectError(.invalidArgument("--ema-momentum must be in [0, 1], got nan")) { try config.validate() }
        config = try TrainingConfiguration.defaults(for: "digits", method: "moco")
        config.queueSize = 2000
        expectError(.invalidArgument("--queue-size 2000 is larger than the 1500 training images its rows come from; "
                                     + "give at most 1500")) { _ = try Trainer(config, on: .cpu) }
        expectError(.invalidArgument("--method must be one of simclr, dcl, dclw, moco, byol, simsiam, nnclr, instdisc, "
                                     + "swav, pirl, yadim, got 'bogus'")) {
            _ = try TrainingConfiguration.defaults(for: "digits", method: "bogus")
        }
    }
}
