/// The encoder's features of every image of `dataset`, in dataset order, as `simile embed` writes them and the kNN
/// monitor and linear probe read them: eval-mode batch norm (running statistics), no augmentation, the images
/// resized to `size` × `size` when they differ and normalised by `statistics` (the training images' mean and std).
/// Batches of `batchSize` go through the encoder on its device; the features come back to the host batch by
/// batch and are returned as one [N, d] tensor on the same device. The encoder's batch-norm mode is restored.
public func extractFeatures(_ encoder: any ImageEncoder, of dataset: Dataset, size: Int,
                            statistics: (mean: [Float], std: [Float]), batchSize: Int = 256) throws -> Tensor {
    let device = encoder.device
    let wasTraining = encoder.isTraining
    encoder.setTraining(false)
    defer { encoder.setTraining(wasTraining) }
    let config = AugmentationConfig(outputHeight: size, outputWidth: size, channels: dataset.channels, crop: nil,
                                    flipProbability: 0, jitter: nil, grayscaleProbability: 0, blur: nil,
                                    mean: statistics.mean, std: statistics.std)
    let sampler = try BatchSampler(count: dataset.count, batchSize: min(batchSize, dataset.count), shuffle: false,
                                   dropLast: false, seed: 0)
    let loader = try DataLoader(dataset: dataset, sampler: sampler, augmentation: config, viewsPerImage: 1, seed: 0,
                                device: device)
    var features: [Float] = []
    let batches = loader.epoch(0)
    while let batch = try batches.next() { features += try encoder.forward(batch.views).toArray() }
    return try Tensor(features, shape: [dataset.count, encoder.outputFeatures], on: device)
}

extension Dataset {
    /// Every label in order; an error for an unlabelled split.
    public func allLabels() throws -> [Int] {
        guard classes != nil else { throw SimileError.invalidArgument("\(name) has no labels") }
        return try (0..<count).map { try label(at: $0)! }
    }
}
