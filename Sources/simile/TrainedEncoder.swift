import Simile

/// The run saved in a `simile train` checkpoint, restored: its encoder with the training images' statistics and
/// view size, which `embed` and `eval` use to compute features as the trainer's kNN monitor does.
func restoredRun(_ checkpoint: String, on device: Device) throws -> Trainer {
    let (tensors, metadata) = try Safetensors.read(checkpoint)
    guard metadata["format"] == "simile-checkpoint", let text = metadata["configuration"] else {
        throw SimileError.invalidArgument("\(checkpoint) is not a simile train checkpoint (checkpoint.safetensors of a run)")
    }
    let trainer = try Trainer(TrainingConfiguration(json: text), on: device)
    try trainer.restore(from: tensors, metadata: metadata)
    return trainer
}

/// The features of `dataset` from `run`'s encoder, resized to its view size and normalised by its statistics.
func features(of dataset: Dataset, from run: Trainer) throws -> Tensor {
    guard dataset.channels == run.trainSet.channels else {
        throw SimileError.invalidArgument("\(dataset.name) has \(dataset.channels) channel(s); the encoder was trained "
                                          + "on \(run.trainSet.channels)")
    }
    return try extractFeatures(run.encoder, of: dataset, size: run.augmentation.outputHeight, statistics: run.statistics)
}
