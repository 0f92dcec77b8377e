import Kernels

extension OpenCLBackend {
    /// The row pass of `featureMapContrastiveLoss` (Kernels/feature_map_loss.cl): one work-group per source row of
    /// the device's reduction size; the rows' loss terms are then summed into `loss`.
    func featureMapLossRows(_ scores: Tensor, _ scale: FeatureMapScoreScale, loss: Tensor) throws {
        let size = shapes.reductionGroupSize, name = "feature_map_loss_rows"
        let clipped = try Tensor(uninitialized: scores.shape, on: scores.device)
        let rowLoss = try Tensor(uninitialized: [scale.images], on: scores.device)
        let kernel = try kernel(name, program: "feature_map_loss", source: KernelSource.featureMapLoss,
                                options: "-DWG=\(size)")
        try launch(kernel, name: name, global: [scale.images * size], local: [size], [
            .buffer(scores.clBuffer), .buffer(clipped.clBuffer), .int(scale.images), .int(scale.locations),
            .float(scale.inverseRootD), .float(scale.tclip), .float(scale.regularization), .float(scale.weight),
            .buffer(rowLoss.clBuffer),
        ])
        try Simile.copy(sum(rowLoss), into: loss)
    }
}
