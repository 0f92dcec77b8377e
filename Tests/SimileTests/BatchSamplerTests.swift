import Testing
@testable import Simile

@Suite struct BatchSamplerTests {
    @Test("an epoch is a permutation from the seed: the same for the same seed and epoch, new for the next epoch")
    func shuffles() throws {
        let sampler = try BatchSampler(count: 10, batchSize: 3, seed: 7)
        let first = sampler.batches(epoch: 0)
        #expect(first.count == 3 && first.allSatisfy { $0.count == 3 })
        #expect(first == (try BatchSampler(count: 10, batchSize: 3, seed: 7)).batches(epoch: 0))
        #expect(first != sampler.batches(epoch: 1))
        #expect(first != (try BatchSampler(count: 10, batchSize: 3, seed: 8)).batches(epoch: 0))
        #expect(Set(first.joined()).count == 9)
        let kept = try BatchSampler(count: 10, batchSize: 3, dropLast: false, seed: 7).batches(epoch: 0)
        #expect(kept.map(\.count) == [3, 3, 3, 1] && Set(kept.joined()) == Set(0..<10))
        #expect(try BatchSampler(count: 5, batchSize: 2, shuffle: false, dropLast: false, seed: 1).batches(epoch: 3)
                == [[0, 1], [2, 3], [4]])
    }

    @Test("ranks take disjoint, equal shares of the same permutation")
    func ranks() throws {
        let world = 3
        let shares = try (0..<world).map { try BatchSampler(count: 20, batchSize: 2, seed: 5, rank: $0, worldSize: world) }
        let batches = shares.map { $0.batches(epoch: 2) }
        #expect(batches.allSatisfy { $0.count == 3 })
        let seen = batches.map { Set($0.joined()) }
        #expect(seen.allSatisfy { $0.count == 6 })
        #expect(seen[0].isDisjoint(with: seen[1]) && seen[1].isDisjoint(with: seen[2]) && seen[0].isDisjoint(with: seen[2]))
        let all = try BatchSampler(count: 20, batchSize: 1, dropLast: false, seed: 5).batches(epoch: 2).joined()
        #expect(Array(batches[1].joined()) == stride(from: 1, to: 18, by: 3).map { Array(all)[$0] })
    }

    @Test("impossible settings are one clear error")
    func errors() {
        expectError(.invalidArgument("BatchSampler: rank 2 is not in 0..<2 (the world size)")) {
            _ = try BatchSampler(count: 10, batchSize: 2, seed: 0, rank: 2, worldSize: 2)
        }
        expectError(.invalidArgument("BatchSampler: batch size 0 must be ≥ 1")) {
            _ = try BatchSampler(count: 10, batchSize: 0, seed: 0)
        }
        expectError(.invalidArgument(
            "BatchSampler: 10 images over 4 rank(s) leave 2 per rank, fewer than one batch of 3 (drop-last leaves no batch)")) {
            _ = try BatchSampler(count: 10, batchSize: 3, seed: 0, worldSize: 4)
        }
    }
}
