import Kernels

/// The OpenCL negative-cosine loss: negative_cosine.cl's one work-group per row writes the loss terms and dp;
/// enqueued only (the caller's mean and the loss read follow on the same queue).
func negativeCosineLossOpenCL(_ cl: OpenCLBackend, predictions: Tensor, targets: Tensor, offset: Int,
                              form: NegativeCosineForm, terms: Tensor, gradient: Tensor) throws {
    let n = predictions.shape[0], d = predictions.shape[1], groupSize = cl.shapes.reductionGroupSize
    let kernel = try cl.kernel("negative_cosine", program: "negative_cosine", source: KernelSource.negativeCosine,
                               options: "-DWG=\(groupSize)")
    try cl.launch(kernel, name: "negative_cosine", global: [n * groupSize], local: [groupSize],
                  [.buffer(predictions.clBuffer), .buffer(targets.clBuffer), .int(n), .int(d), .int(offset),
                   .float(negativeCosineEps), .float(form.constant), .float(form.slope),
                   .buffer(terms.clBuffer), .buffer(gradient.clBuffer)])
}
