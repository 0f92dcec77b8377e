import COpenCL
import Kernels

/// The OpenCL NCE passes (nce_loss.cl): the targets' cosines, the estimate of log Z when the normaliser is unset (a
/// launch that returns at once otherwise), each row's loss with S overwritten by dL/d(cosine) and dL/dÛ's target
/// share, returned; the mean of the rows' losses copied into `loss`. Enqueued only: nothing waits for the device.
func nceLossOpenCL(_ cl: OpenCLBackend, units: Tensor, targets: Tensor, scores: Tensor, _ constants: NCEConstants,
                   normaliser: Tensor, loss: Tensor) throws -> Tensor {
    let (b, k, d) = (constants.queries, constants.noise, units.shape[1]), groupSize = cl.shapes.reductionGroupSize
    let positives = try Tensor(uninitialized: [b], on: units.device)
    let rowLosses = try Tensor(uninitialized: [b], on: units.device)
    let gradient = try Tensor(uninitialized: [b, d], on: units.device)
    func kernel(_ name: String) throws -> cl_kernel {
        try cl.kernel(name, program: "nce_loss", source: KernelSource.nceLoss, options: "-DWG=\(groupSize)")
    }
    try cl.launch(kernel("nce_positives"), name: "nce_positives", global: [b],
                  [.buffer(units.clBuffer), .buffer(targets.clBuffer), .int(d), .buffer(positives.clBuffer)])
    try cl.launch(kernel("nce_normaliser"), name: "nce_normaliser", global: [groupSize], local: [groupSize],
                  [.buffer(scores.clBuffer), .buffer(positives.clBuffer), .int(b), .int(k),
                   .float(constants.inverseTemperature), .float(constants.logBankRows), .buffer(normaliser.clBuffer)])
    try cl.launch(kernel("nce_rows"), name: "nce_rows", global: [b * groupSize], local: [groupSize],
                  [.buffer(scores.clBuffer), .buffer(positives.clBuffer), .buffer(targets.clBuffer), .int(k), .int(d),
                   .float(constants.inverseTemperature), .float(constants.logNoiseRatio), .float(constants.scale),
                   .buffer(normaliser.clBuffer), .buffer(gradient.clBuffer), .buffer(rowLosses.clBuffer)])
    try cl.copy(mean(rowLosses).clBuffer, to: loss.clBuffer, count: 1)
    return gradient
}
