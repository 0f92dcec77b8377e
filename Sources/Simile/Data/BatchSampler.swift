/// Which images form each batch of an epoch, from the seed alone.
///
/// Every epoch shuffles all `count` indices with its own generator (`SeededGenerator.stream(seed, epoch)`), the
/// same permutation on every rank. For data-parallel training the first ⌊count / worldSize⌋·worldSize positions
/// are dealt round-robin, rank r taking positions r, r + worldSize, … (as PyTorch's `DistributedSampler` with
/// `drop_last=True`), so ranks see disjoint images and the same number of them. A rank's share is cut into
/// batches of `batchSize` in order; with `dropLast` a short final batch is left out (SimCLR's negatives then
/// always number 2·(B − 1)).
public struct BatchSampler: Sendable {
    public let count: Int
    public let batchSize: Int
    public let shuffle: Bool
    public let dropLast: Bool
    public let seed: UInt64
    public let rank: Int
    public let worldSize: Int

    public init(count: Int, batchSize: Int, shuffle: Bool = true, dropLast: Bool = true, seed: UInt64,
                rank: Int = 0, worldSize: Int = 1) throws {
        guard worldSize >= 1, (0..<worldSize).contains(rank) else {
            throw SimileError.invalidArgument("BatchSampler: rank \(rank) is not in 0..<\(worldSize) (the world size)")
        }
        guard batchSize >= 1 else { throw SimileError.invalidArgument("BatchSampler: batch size \(batchSize) must be ≥ 1") }
        let share = count / worldSize
        guard share >= (dropLast ? batchSize : 1) else {
            throw SimileError.invalidArgument(
                "BatchSampler: \(count) images over \(worldSize) rank(s) leave \(share) per rank, "
                + (dropLast ? "fewer than one batch of \(batchSize) (drop-last leaves no batch)" : "none"))
        }
        (self.count, self.batchSize, self.shuffle, self.dropLast) = (count, batchSize, shuffle, dropLast)
        (self.seed, self.rank, self.worldSize) = (seed, rank, worldSize)
    }

    /// Images per rank per epoch.
    public var share: Int { count / worldSize }

    public var batchesPerEpoch: Int { dropLast ? share / batchSize : (share + batchSize - 1) / batchSize }

    /// This rank's batches of `epoch` (0-based): dataset indices, in order.
    public func batches(epoch: Int) -> [[Int]] {
        var order = Array(0..<count)
        if shuffle {
            var generator = SeededGenerator.stream(seed, UInt64(epoch))
            for i in stride(from: count - 1, to: 0, by: -1) {
                order.swapAt(i, Int(generator.next() % UInt64(i + 1)))
            }
        }
        let mine = Array(stride(from: rank, to: share * worldSize, by: worldSize).map { order[$0] })
        return (0..<batchesPerEpoch).map { Array(mine[($0 * batchSize)..<min(($0 + 1) * batchSize, mine.count)]) }
    }
}

extension SeededGenerator {
    /// An independent generator for one place in a run (an epoch, an image's view), from the run's seed and
    /// the place's coordinates: the same draws whatever thread asks and in whatever order.
    public static func stream(_ seed: UInt64, _ coordinates: UInt64...) -> SeededGenerator {
        var mixer = SeededGenerator(seed: seed)
        var state = mixer.next()
        for coordinate in coordinates {
            var step = SeededGenerator(seed: state ^ (coordinate &* 0x9E37_79B9_7F4A_7C15))
            state = step.next()
        }
        return SeededGenerator(seed: state)
    }
}
