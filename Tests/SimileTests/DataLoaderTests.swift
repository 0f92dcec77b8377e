import Testing
@testable import Simile

@Suite struct DataLoaderTests {
    private func digits() throws -> Dataset { try DatasetSpec(parsing: "digits").open(split: .train) }

    private func loader(_ dataset: Dataset, on device: Device, workers: Int, prefetch: Int) throws -> DataLoader {
        try DataLoader(dataset: dataset, sampler: BatchSampler(count: dataset.count, batchSize: 64, seed: 3),
                       augmentation: .digits(size: 8, mean: [0.3], std: [0.4]), seed: 4, device: device,
                       workers: workers, prefetch: prefetch)
    }

    @Test("batches depend on the seed only: the same with 1 worker or 3, any prefetch depth, in order",
          arguments: TestBackend.allCases)
    func deterministic(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let dataset = try digits()
        func run(workers: Int, prefetch: Int) throws -> [([Int], [Float])] {
            let batches = try loader(dataset, on: device, workers: workers, prefetch: prefetch).epoch(1)
            var all: [([Int], [Float])] = []
            while let batch = try batches.next() { all.append((batch.indices, try batch.views.toArray())) }
            return all
        }
        let serial = try run(workers: 1, prefetch: 1), parallel = try run(workers: 3, prefetch: 3)
        #expect(serial.count == 1500 / 64)
        #expect(serial.map(\.0) == (try BatchSampler(count: 1500, batchSize: 64, seed: 3)).batches(epoch: 1))
        #expect(zip(serial, parallel).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 })
    }

    @Test("a batch is its images' views drawn from stream(seed, epoch, image, view), and their labels")
    func batchContents() throws {
        let dataset = try digits()
        let batch = try loader(dataset, on: .cpu, workers: 1, prefetch: 1).batch(epoch: 2, indices: [5, 0, 9])
        #expect(batch.views.shape == [6, 1, 8, 8])
        #expect(batch.labels == (try [5, 0, 9].map { try dataset.label(at: $0)! }))
        let config = AugmentationConfig.digits(size: 8, mean: [0.3], std: [0.4])
        let views = try (0..<2).flatMap { view in
            try [5, 0, 9].enumerated().map { slot, index -> (image: Int, parameters: ViewParameters) in
                var generator = SeededGenerator.stream(4, 2, UInt64(index), UInt64(view))
                return (slot, try ViewParameters.draw(sourceHeight: 8, sourceWidth: 8, config: config, generator: &generator))
            }
        }
        #expect(batch.parameters.map(\.parameters) == views.map(\.parameters))
        #expect(batch.parameters.map(\.image) == [5, 0, 9, 5, 0, 9])
        let pixels = try [5, 0, 9].flatMap { try dataset.image(at: $0) }
        let direct = try augment(batch: pixels, shape: [3, 1, 8, 8], views: views, config: config, on: .cpu)
        #expect(try batch.views.toArray() == direct.toArray())
    }

    /// BYOL's way: view 0 never solarised, view 1 always. Since the coin is drawn last, each view's other ops are the
    /// ones a single chain draws, so view 1 must be exactly torchvision's solarize (before normalisation) of the
    /// single-chain loader's view 1, and view 0 its view 0, bit for bit.
    @Test("each view is drawn from its own chain", arguments: TestBackend.allCases)
    func perViewChains(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let dataset = try digits(), sampler = try BatchSampler(count: dataset.count, batchSize: 64, seed: 3)
        let plain = AugmentationConfig.digits(size: 8, mean: [0.3], std: [0.4])
        let chains = [plain, plain.with(solarizeProbability: 1)]
        let loader = try DataLoader(dataset: dataset, sampler: sampler, augmentations: chains, seed: 4, device: device)
        #expect(loader.viewsPerImage == 2 && loader.augmentation == plain && loader.augmentations == chains)
        let single = try self.loader(dataset, on: device, workers: 1, prefetch: 1)
        let indices = [5, 0, 9, 700]
        let (mixed, reference) = (try loader.batch(epoch: 1, indices: indices), try single.batch(epoch: 1, indices: indices))
        #expect(mixed.parameters.prefix(4).allSatisfy { $0.parameters.solarize == nil })
        #expect(mixed.parameters.suffix(4).allSatisfy { $0.parameters.solarize == 0.5 })
        #expect(zip(mixed.parameters, reference.parameters).allSatisfy { mixedView, referenceView in
            var view = mixedView.parameters
            view.solarize = nil
            return mixedView.image == referenceView.image && view == referenceView.parameters
        })
        let (values, plainValues) = (try mixed.views.toArray(), try reference.views.toArray())
        let half = values.count / 2
        #expect(values[..<half] == plainValues[..<half])
        let solarised = plainValues[half...].map { normalised -> Double in
            let x = Double(normalised) * 0.4 + 0.3
            return ((x >= 0.5 ? 1 - x : x) - 0.3) / 0.4
        }
        expectClose(Array(values[half...]), solarised, tolerance: 1e-5, "view 1 solarised")
        #expect(values[half...] != plainValues[half...], "some pixel of the digits lies above 0.5")
    }

    @Test("multi-crop: views batched per output size in view order, each the view its own chain draws",
          arguments: TestBackend.allCases)
    func multiCrop(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let dataset = try digits()
        let (large, small) = (AugmentationConfig.digits(size: 8, mean: [0.3], std: [0.4]),
                              AugmentationConfig.digits(size: 5, mean: [0.3], std: [0.4]))
        let chains = [large, large, small, small, small]
        let loader = try DataLoader(dataset: dataset, sampler: BatchSampler(count: 1500, batchSize: 4, seed: 1),
                                    augmentations: chains, seed: 2, device: device)
        #expect(loader.sizeGroups == [0..<2, 2..<5])
        let indices = [9, 4, 1000, 7]
        let batch = try loader.batch(epoch: 3, indices: indices)
        #expect(batch.views.shape == [8, 1, 8, 8] && batch.otherSizes.map(\.shape) == [[12, 1, 5, 5]])
        #expect(batch.parameters.map(\.image) == Array(repeating: indices, count: 5).flatMap { $0 })
        // Each size's rows are its views drawn from stream(seed, epoch, image, view), made by that view's chain.
        for (group, tensor) in zip(loader.sizeGroups, [batch.views] + batch.otherSizes) {
            let drawn = try group.flatMap { view in
                try indices.enumerated().map { slot, index in
                    var generator = SeededGenerator.stream(2, 3, UInt64(index), UInt64(view))
                    return (slot, try ViewParameters.draw(sourceHeight: 8, sourceWidth: 8, config: chains[view],
                                                          generator: &generator))
                }
            }
            let pixels = try indices.flatMap { try dataset.image(at: $0) }
            let expected = try augment(batch: pixels, shape: [4, 1, 8, 8], views: drawn, config: chains[group.lowerBound],
                                       on: device)
            #expect(try tensor.toArray() == expected.toArray(), "views \(group)")
        }
    }

    @Test("an epoch dropped early stops its workers; the next epoch runs")
    func dropEarly() throws {
        let dataset = try digits()
        let loader = try loader(dataset, on: .cpu, workers: 2, prefetch: 2)
        do {
            let first = loader.epoch(0)
            #expect(try first.next() != nil)
        }
        let second = loader.epoch(1)
        var count = 0
        while try second.next() != nil { count += 1 }
        #expect(count == 23)
        #expect(try second.next() == nil)
    }

    @Test("a loader that cannot work is one clear error")
    func errors() throws {
        let dataset = try digits()
        expectError(.invalidArgument("DataLoader: the sampler draws from 100 images but digits (train) has 1500")) {
            _ = try DataLoader(dataset: dataset, sampler: BatchSampler(count: 100, batchSize: 10, seed: 0),
                               augmentation: .digits(size: 8, mean: [0.3], std: [0.4]), seed: 0, device: .cpu)
        }
        expectError(.invalidArgument("DataLoader: the augmentation expects 3 channel(s), digits (train) has 1")) {
            _ = try DataLoader(dataset: dataset, sampler: BatchSampler(count: 1500, batchSize: 10, seed: 0),
                               augmentation: .simclr(size: 8, channels: 3, mean: [0, 0, 0], std: [1, 1, 1]), seed: 0,
                               device: .cpu)
        }
        let sampler = try BatchSampler(count: 1500, batchSize: 10, seed: 0)
        let digits = AugmentationConfig.digits(size: 8, mean: [0.3], std: [0.4])
        let large = AugmentationConfig.digits(size: 16, mean: [0.3], std: [0.4])
        expectError(.invalidArgument("DataLoader: views of one output size must be consecutive; views 0..<1 and 2 are "
                                     + "8×8 with others between them")) {
            _ = try DataLoader(dataset: dataset, sampler: sampler, augmentations: [digits, large, digits], seed: 0,
                               device: .cpu)
        }
        expectError(.invalidArgument("DataLoader: the views of a batch must share channels and normalisation; view 0's "
                                     + "chain makes 1 channel(s), mean [0.3] std [0.4], view 2's 1 channel(s), mean [0.5] "
                                     + "std [0.4]")) {
            _ = try DataLoader(dataset: dataset, sampler: sampler,
                               augmentations: [digits, digits, .digits(size: 8, mean: [0.5], std: [0.4])], seed: 0,
                               device: .cpu)
        }
        expectError(.invalidArgument("DataLoader: views per image (0), workers (2) and prefetch (2) must each be ≥ 1")) {
            _ = try DataLoader(dataset: dataset, sampler: sampler, augmentations: [], seed: 0, device: .cpu)
        }
        expectError(.invalidArgument("augmentation: solarize probability must be a probability in [0, 1], got 2.0")) {
            _ = try DataLoader(dataset: dataset, sampler: sampler, augmentations: [digits, digits.with(solarizeProbability: 2)],
                               seed: 0, device: .cpu)
        }
    }
}
