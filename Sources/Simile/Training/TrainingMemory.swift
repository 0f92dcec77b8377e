extension Trainer {
    /// Refuses, before the first step, a run whose training step cannot fit in the device's memory: the encoder's
    /// activations for every view of a batch at its own size (`ResNet.trainingFloatsPerImage`; SwAV's small crops
    /// cost less than its large ones), and the batches of views the loader
    /// holds (the one in use and those it prepares ahead). An estimate, not a bound: it stops `--size 4096` with
    /// one error naming the figure instead of the system's out-of-memory killer minutes later. `simile train` asks
    /// before it writes anything; `eval` and `embed`, which only run the encoder, do not.
    public func requireTrainingStepFits() throws {
        var floats: Int? = 0
        for chain in loader.augmentations {
            let (height, width) = (chain.outputHeight, chain.outputWidth)
            let activations = encoder.trainingFloatsPerImage(height: height, width: width)
                .flatMap { CheckedSize.product([$0, configuration.batchSize]) }
            let batches = CheckedSize.product([configuration.batchSize, trainSet.channels, height, width, loader.prefetch + 1])
            floats = [activations, batches].reduce(floats) { total, term in
                guard let total, let term, case let (sum, false) = total.addingReportingOverflow(term) else { return nil }
                return sum
            }
        }
        let bytes = floats.flatMap { CheckedSize.product([$0, MemoryLayout<Float>.stride]) } ?? Int.max
        // Views per output size, in view order: "512 views of 32×32", or "512 views of 32×32 and 1536 of 16×16".
        let sizes = loader.sizeGroups.enumerated().map { index, group in
            let chain = loader.augmentations[group.lowerBound]
            return "\(group.count * configuration.batchSize)\(index == 0 ? " views" : "") of "
                + "\(chain.outputHeight)×\(chain.outputWidth)"
        }
        try device.totalMemory.check(bytes, for: "training \(configuration.architecture) on "
                                     + sizes.joined(separator: " and ")
                                     + " (estimated: activations and the loader's batches)")
    }
}
