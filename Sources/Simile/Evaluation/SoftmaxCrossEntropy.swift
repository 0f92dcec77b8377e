import Foundation

/// The softmax cross-entropy of logits z [N, C] against class labels (as floats on z's device), row by row:
/// loss[r] = log Σ_c exp(z_rc) − z_r,label (taken around the row's maximum) and its gradient for the mean loss,
/// dz[r, c] = (softmax(z_r)_c − [c = label]) / N. Both stay on the device; the probe reads only their mean.
func softmaxCrossEntropy(_ z: Tensor, labels: Tensor) throws -> (rowLosses: Tensor, gradient: Tensor) {
    let rows = z.shape[0], classes = z.shape[1], scale = 1 / Float(rows)
    let losses = try Tensor(uninitialized: [rows], on: z.device)
    let gradient = try Tensor(uninitialized: z.shape, on: z.device)
    switch z.device.backend {
    case .cpu(let cpu):
        let logits = z.hostPointer, label = labels.hostPointer, loss = losses.hostPointer, grad = gradient.hostPointer
        cpu.parallelFor(rows, work: z.count) { range in
            for r in range {
                let row = logits + r * classes, target = Int(label[r])
                var peak = row[0]
                for c in 1..<classes { peak = max(peak, row[c]) }
                var total: Float = 0
                for c in 0..<classes { total += exp(row[c] - peak) }
                let lse = peak + log(total)
                loss[r] = lse - row[target]
                for c in 0..<classes { grad[r * classes + c] = scale * (exp(row[c] - lse) - (c == target ? 1 : 0)) }
            }
        }
    case .opencl(let cl):
        try cl.launch(try cl.linearProbeKernel("softmax_cross_entropy"), name: "softmax_cross_entropy", global: [rows],
                      local: [min(64, cl.info.maxWorkGroupSize)],
                      [.buffer(z.clBuffer), .buffer(labels.clBuffer), .int(rows), .int(classes), .float(scale),
                       .buffer(losses.clBuffer), .buffer(gradient.clBuffer)])
    }
    return (losses, gradient)
}
