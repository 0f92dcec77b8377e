extension Trainer {
    /// Refuses, before the first step, a run whose training step cannot fit in the device's memory: the encoder's
    /// activations for every view of a batch (`ResNet.trainingFloatsPerImage`), and the batches of views the loader
    /// holds (the one in use and those it prepares ahead). An estimate, not a bound: it stops `--size 4096` with
    /// one error naming the figure instead of the system's out-of-memory killer minutes later. `simile train` asks
    /// before it writes anything; `eval` and `embed`, which only run the encoder, do not.
    public func requireTrainingStepFits() throws {
        let (height, width) = (augmentation.outputHeight, augmentation.outputWidth)
        let views = loader.viewsPerImage * configuration.batchSize
        let activations = encoder.trainingFloatsPerImage(height: height, width: width)
            .flatMap { CheckedSize.product([$0, views]) }
        let batches = CheckedSize.product([views, trainSet.channels, height, width, loader.prefetch + 1])
        var bytes = Int.max
        if let activations, let batches, case let (floats, false) = activations.addingReportingOverflow(batches) {
            bytes = CheckedSize.product([floats, MemoryLayout<Float>.stride]) ?? Int.max
        }
        try device.totalMemory.check(bytes, for: "training \(configuration.architecture) on \(views) views of "
                                     + "\(height)×\(width) (estimated: activations and the loader's batches)")
    }
}
