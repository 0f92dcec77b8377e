import COpenCL
import Kernels

/// The OpenCL triplet loss on unit rows U [M, d]: triplet_loss.cl's mining (a work-group per anchor), the hinge sum
/// into `loss` with each anchor's weight, and dL/dU, returned; enqueued only (nothing waits for the device).
func tripletLossOpenCL(_ cl: OpenCLBackend, units: Tensor, margin: Float, mining: TripletMining,
                       loss: Tensor) throws -> Tensor {
    let (m, d) = (units.shape[0], units.shape[1]), groupSize = cl.shapes.reductionGroupSize
    let negatives = try Tensor(uninitialized: [m], on: units.device)
    let similarities = try Tensor(uninitialized: [m, 2], on: units.device)
    let weights = try Tensor(uninitialized: [m], on: units.device)
    let gradient = try Tensor(uninitialized: [m, d], on: units.device)
    func kernel(_ name: String) throws -> cl_kernel {
        try cl.kernel(name, program: "triplet_loss", source: KernelSource.tripletLoss, options: "-DWG=\(groupSize)")
    }
    try cl.launch(kernel("triplet_mine"), name: "triplet_mine", global: [m * groupSize], local: [groupSize],
                  [.buffer(units.clBuffer), .int(d), .int(m), .int(mining == .hardest ? 0 : 1),
                   .buffer(negatives.clBuffer), .buffer(similarities.clBuffer)])
    try cl.launch(kernel("triplet_finish"), name: "triplet_finish", global: [groupSize], local: [groupSize],
                  [.buffer(similarities.clBuffer), .int(m), .float(margin), .buffer(weights.clBuffer),
                   .buffer(loss.clBuffer)])
    try cl.launch(kernel("triplet_backward"), name: "triplet_backward", global: [m],
                  [.buffer(units.clBuffer), .buffer(negatives.clBuffer), .buffer(weights.clBuffer), .int(d), .int(m),
                   .buffer(gradient.clBuffer)])
    return gradient
}
