/// The step BYOL and SimSiam share: views through the encoder, the projector and the predictor (each recorded),
/// the negative-cosine loss of each view's prediction against the other view's target (`targets` of the
/// projections z: an EMA network's projection for BYOL, z itself for SimSiam; no gradient reaches them), and the
/// backward pass through the three networks. `phases` is told as each phase is enqueued.
func predictorStep(_ batch: MethodBatch, encoder: any Layer, projector: Sequential, predictor: Sequential,
                   form: NegativeCosineForm, phases: StepPhaseObserver,
                   targets: (_ projections: Tensor) throws -> Tensor) throws -> MethodStep {
    let (features, encoderRecord) = try encoder.recordedForward(batch.views)
    let (z, projectorRecord) = try projector.recordedForward(features)
    let (p, predictorRecord) = try predictor.recordedForward(z)
    let target = try targets(z)
    try phases.end(.forward)
    let result = try negativeCosineLoss(predictions: batch.gather.rows(p, views: 2),
                                        targets: batch.gather.rows(target, views: 2), form: form, swapHalves: true)
    try phases.end(.loss)
    let dp = try batch.gather.localGradient(result.predictionGradient, views: 2)
    _ = try encoderRecord.backward(projectorRecord.backward(predictorRecord.backward(dp)))
    try phases.end(.backward)
    return MethodStep(loss: result, features: features, embeddings: z)
}
