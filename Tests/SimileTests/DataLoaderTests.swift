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
    }
}
