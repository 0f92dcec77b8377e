import Foundation

/// One batch as the loader prepares it: the views of its images on the device, ordered view by view (rows 0..<B the
/// first views of images 0..<B, then the second views: the layout the contrastive losses take), the dataset
/// `indices` of its images and their `labels` (nil for unlabelled data). Views are batched per output size (SwAV's
/// multi-crop): `views` holds those of the first chain's size, `otherSizes` one tensor per further size, in view order.
public struct LoadedBatch {
    public let indices: [Int]
    public let labels: [Int]?
    public let views: Tensor
    /// The views of each output size after the first, in view order (empty when every chain has one size).
    public let otherSizes: [Tensor]
    /// What made each view, in row order: the rows of `views`, then those of each of `otherSizes` (for
    /// `simile augment --params-out` and for checks).
    public let parameters: [(image: Int, parameters: ViewParameters)]
}

/// Turns a dataset into batches of augmented views, preparing the next batches (read, decode, augment) on worker
/// threads while the caller computes on the current one. View v of every image is drawn from its own chain
/// `augmentations[v]` (BYOL's two views differ in blur and solarisation); the chains share channels and
/// normalisation, and views of one output size are consecutive (SwAV's 2 large crops, then its small ones), so that
/// each size is one tensor.
///
/// Everything a batch holds depends only on the seed: the sampler's permutation of the epoch, and the views of each
/// image drawn from `SeededGenerator.stream(seed, epoch, image, view)`. Neither the number of workers nor their
/// timing changes a batch, and batches come back in order.
public final class DataLoader: @unchecked Sendable {
    public let dataset: Dataset
    public let sampler: BatchSampler
    /// One augmentation chain per view of an image, in view order.
    public let augmentations: [AugmentationConfig]
    public let seed: UInt64
    public let device: Device
    /// Threads preparing batches, and how many finished batches may wait for the caller.
    public let workers: Int
    public let prefetch: Int

    /// The views of each output size, in view order: `LoadedBatch.views` then each of `otherSizes`.
    public let sizeGroups: [Range<Int>]

    /// The first view's chain; every view's channels and normalisation.
    public var augmentation: AugmentationConfig { augmentations[0] }
    public var viewsPerImage: Int { augmentations.count }

    /// A loader whose image has `augmentations.count` (≥ 1) views, view v drawn from `augmentations[v]`. The chains
    /// must agree on channels and normalisation (mean, std), and views of one output size must be consecutive: one
    /// `SimileError.invalidArgument` otherwise.
    public init(dataset: Dataset, sampler: BatchSampler, augmentations: [AugmentationConfig], seed: UInt64,
                device: Device, workers: Int = 2, prefetch: Int = 2) throws {
        guard let first = augmentations.first, workers >= 1, prefetch >= 1 else {
            throw SimileError.invalidArgument("DataLoader: views per image (\(augmentations.count)), workers (\(workers)) "
                                              + "and prefetch (\(prefetch)) must each be ≥ 1")
        }
        for augmentation in augmentations { try augmentation.validate() }
        guard sampler.count == dataset.count else {
            throw SimileError.invalidArgument(
                "DataLoader: the sampler draws from \(sampler.count) images but \(dataset.name) has \(dataset.count)")
        }
        guard first.channels == dataset.channels else {
            throw SimileError.invalidArgument("DataLoader: the augmentation expects \(first.channels) channel(s), "
                                              + "\(dataset.name) has \(dataset.channels)")
        }
        if let view = augmentations.firstIndex(where: {
            $0.channels != first.channels || $0.mean != first.mean || $0.std != first.std
        }) {
            func output(_ config: AugmentationConfig) -> String {
                "\(config.channels) channel(s), mean \(config.mean) std \(config.std)"
            }
            throw SimileError.invalidArgument(
                "DataLoader: the views of a batch must share channels and normalisation; view 0's chain makes "
                + "\(output(first)), view \(view)'s \(output(augmentations[view]))")
        }
        func size(_ view: Int) -> [Int] { [augmentations[view].outputHeight, augmentations[view].outputWidth] }
        var groups: [Range<Int>] = []
        for view in augmentations.indices {
            if let last = groups.last, size(last.lowerBound) == size(view) {
                groups[groups.count - 1] = last.lowerBound ..< view + 1
            } else if let earlier = groups.first(where: { size($0.lowerBound) == size(view) }) {
                throw SimileError.invalidArgument(
                    "DataLoader: views of one output size must be consecutive; views \(earlier) and \(view) are "
                    + "\(size(view).map(String.init).joined(separator: "×")) with others between them")
            } else {
                groups.append(view ..< view + 1)
            }
        }
        sizeGroups = groups
        (self.dataset, self.sampler, self.augmentations) = (dataset, sampler, augmentations)
        (self.seed, self.device, self.workers, self.prefetch) = (seed, device, workers, prefetch)
    }

    /// A loader whose `viewsPerImage` views of an image are all drawn from the one chain `augmentation`.
    public convenience init(dataset: Dataset, sampler: BatchSampler, augmentation: AugmentationConfig,
                            viewsPerImage: Int = 2, seed: UInt64, device: Device, workers: Int = 2,
                            prefetch: Int = 2) throws {
        try self.init(dataset: dataset, sampler: sampler,
                      augmentations: Array(repeating: augmentation, count: max(viewsPerImage, 0)), seed: seed,
                      device: device, workers: workers, prefetch: prefetch)
    }

    /// The batches of `epoch` in order from batch `first` (a run resumed in the middle of an epoch), prepared ahead
    /// by the workers. Dropping the value stops the workers after the batch each is preparing.
    public func epoch(_ epoch: Int, from first: Int = 0) -> EpochBatches {
        EpochBatches(loader: self, epoch: epoch, batches: Array(sampler.batches(epoch: epoch).dropFirst(first)))
    }

    /// The batch of the images `indices` in `epoch`, prepared on the calling thread.
    public func batch(epoch: Int, indices: [Int]) throws -> LoadedBatch {
        var pixels = [UInt8](repeating: 0, count: indices.count * dataset.imageBytes)
        try pixels.withUnsafeMutableBytes { buffer in
            for (slot, index) in indices.enumerated() {
                let start = slot * dataset.imageBytes
                try dataset.copyImage(at: index, into: UnsafeMutableRawBufferPointer(
                    rebasing: buffer[start..<start + dataset.imageBytes]))
            }
        }
        let views = try augmentations.enumerated().flatMap { view, config in
            try indices.enumerated().map { slot, index in
                var generator = SeededGenerator.stream(seed, UInt64(epoch), UInt64(index), UInt64(view))
                return (slot, try ViewParameters.draw(sourceHeight: dataset.height, sourceWidth: dataset.width,
                                                  config: config, generator: &generator))
            }
        }
        let labels = dataset.classes == nil ? nil : try indices.map { try dataset.label(at: $0)! }
        // Each size's first chain gives the output size, every chain's normalisation is the same (checked by init),
        // and each view carries its own ops.
        let tensors = try sizeGroups.map { group in
            try TraceRecorder.span("augment", .data, args: ["images": .int(indices.count),
                                                            "views": .int(group.count * indices.count)]) {
                try augment(batch: pixels, shape: [indices.count, dataset.channels, dataset.height, dataset.width],
                            views: Array(views[group.lowerBound * indices.count ..< group.upperBound * indices.count]),
                            config: augmentations[group.lowerBound], on: device)
            }
        }
        return LoadedBatch(indices: indices, labels: labels, views: tensors[0], otherSizes: Array(tensors.dropFirst()),
                           parameters: views.map { (indices[$0.0], $0.1) })
    }
}

/// The batches of one epoch, in order: `next()` returns each as soon as a worker has it ready, then nil.
public final class EpochBatches {
    private let state: EpochState

    init(loader: DataLoader, epoch: Int, batches: [[Int]]) {
        state = EpochState(count: batches.count, prefetch: loader.prefetch)
        let state = state
        for _ in 0..<min(loader.workers, batches.count) {
            Thread.detachNewThread {
                Thread.current.name = "loader worker"
                while let number = state.claim() {
                    state.deliver(number, Result { try loader.batch(epoch: epoch, indices: batches[number]) })
                }
            }
        }
    }

    deinit { state.cancel() }

    /// The next batch, waiting for it if a worker is still preparing it; nil after the last one. An error in
    /// preparing a batch is thrown here, in its turn.
    public func next() throws -> LoadedBatch? {
        try state.next()?.get()
    }
}

/// What the workers and the consumer of one epoch share, under one condition lock.
private final class EpochState: @unchecked Sendable {
    private let condition = NSCondition()
    private let count: Int
    private let prefetch: Int
    private var claimed = 0
    private var returned = 0
    private var ready: [Int: Result<LoadedBatch, Error>] = [:]
    private var cancelled = false

    init(count: Int, prefetch: Int) {
        self.count = count
        self.prefetch = prefetch
    }

    /// The next batch number for a worker to prepare, once fewer than `prefetch` batches wait ahead of the
    /// consumer; nil when all are claimed or the epoch was dropped.
    func claim() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while !cancelled, claimed < count, claimed - returned >= prefetch { condition.wait() }
        guard !cancelled, claimed < count else { return nil }
        claimed += 1
        return claimed - 1
    }

    func deliver(_ number: Int, _ result: Result<LoadedBatch, Error>) {
        condition.lock()
        ready[number] = result
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch in order, waiting for its worker if need be (a wait that is a span of a trace being recorded).
    func next() -> Result<LoadedBatch, Error>? {
        condition.lock()
        defer { condition.unlock() }
        guard returned < count else { return nil }
        if ready[returned] == nil {
            TraceRecorder.span("loader wait", .data) {
                while ready[returned] == nil { condition.wait() }
            }
        }
        let result = ready.removeValue(forKey: returned)
        returned += 1
        condition.broadcast()
        return result
    }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
