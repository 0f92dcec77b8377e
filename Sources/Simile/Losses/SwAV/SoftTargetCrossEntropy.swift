import Foundation
import Kernels

/// The soft-target cross-entropy and its gradient with respect to the logits, left on the inputs' device: nothing
/// waits for the device until the caller reads the loss with `value()`.
public struct SoftTargetCrossEntropyResult: DeviceLoss {
    /// dLoss/dlogits, shaped like the logits (meaningless when `value()` reports a non-finite input).
    public let logitGradient: Tensor
    let readout: LossReadout

    /// The mean over the N rows: a one-element tensor of shape [1] on the inputs' device.
    public var loss: Tensor { readout.loss }

    /// Reads the loss to the host with the check that the logits and targets were finite: one blocking read on
    /// OpenCL. Throws "softTargetCrossEntropy: targets[row, col] is nan; the input must be finite" for the first
    /// element that was not (logits first).
    public func value() throws -> Float { try readout.value() }
}

/// SwAV's swapped-prediction loss term: −(1/N) Σᵢ Σₖ qᵢₖ · log softmax(pᵢ / τ)ₖ for logits p [N, K] (an embedding's
/// scores against K prototypes) and soft targets q [N, K] (another view's Sinkhorn codes), as lightly's
/// `SwaVLoss.subloss` computes it, with dL/dpᵢₖ = (softmax(pᵢ/τ)ₖ · Σⱼ qᵢⱼ − qᵢₖ) / (N·τ); q gets no gradient. The log
/// of the softmax is formed as pᵢₖ/τ − logsumexp (shifted by the row's maximum), so no exp overflows. τ lies in
/// [1e-30, ∞) as for the other losses. One pass per row (soft_cross_entropy.cl; a parallel row loop on the CPU), then
/// the mean; non-finite inputs are checked on their device and reported by the result's `value()`.
public func softTargetCrossEntropy(logits p: Tensor, targets q: Tensor,
                                   temperature: Float = 0.1) throws -> SoftTargetCrossEntropyResult {
    let op = "softTargetCrossEntropy", inputs: [(name: String, tensor: Tensor)] = [("logits", p), ("targets", q)]
    try validateBankOperands(op, inputs)
    guard p.shape == q.shape else {
        throw SimileError.shapeMismatch(op: op, detail: "logits \(p.shape) and targets \(q.shape) differ in rows")
    }
    try validateTemperature(temperature, name: "\(op): temperature")
    try requireKernelSizes(op, p.shape, name: "logits")
    let readout = try LossReadout(op, inputs: inputs)
    let (n, k) = (p.shape[0], p.shape[1])
    let terms = try Tensor(uninitialized: [n], on: p.device)
    let gradient = try Tensor(uninitialized: p.shape, on: p.device)
    switch p.device.backend {
    case .cpu(let cpu):
        softTargetCrossEntropyCPU(cpu, p.hostPointer, q.hostPointer, n: n, k: k, tau: temperature,
                                  terms: terms.hostPointer, gradient: gradient.hostPointer)
    case .opencl(let cl):
        try cl.launch(try cl.kernel("soft_cross_entropy", program: "soft_cross_entropy",
                                    source: KernelSource.softCrossEntropy),
                      name: "soft_cross_entropy", global: [n],
                      [.buffer(p.clBuffer), .buffer(q.clBuffer), .int(n), .int(k), .float(temperature),
                       .buffer(terms.clBuffer), .buffer(gradient.clBuffer)])
    }
    try copy(mean(terms), into: readout.loss)
    return SoftTargetCrossEntropyResult(logitGradient: gradient, readout: readout)
}

/// The CPU rows of `softTargetCrossEntropy`, in soft_cross_entropy.cl's order of operations.
private func softTargetCrossEntropyCPU(_ cpu: CPUBackend, _ p: UnsafeMutablePointer<Float>,
                                       _ q: UnsafeMutablePointer<Float>, n: Int, k: Int, tau: Float,
                                       terms: UnsafeMutablePointer<Float>, gradient: UnsafeMutablePointer<Float>) {
    cpu.parallelFor(n, work: n * k) { rows in
        for i in rows {
            let logits = p + i * k, targets = q + i * k, dp = gradient + i * k
            var top = -Float.infinity
            for c in 0..<k { top = max(top, logits[c] / tau) }
            var sum: Float = 0, weight: Float = 0, dot: Float = 0
            for c in 0..<k {
                let z = logits[c] / tau
                sum += exp(z - top)
                weight += targets[c]
                dot = dot.addingProduct(targets[c], z)
            }
            terms[i] = weight * (top + log(sum)) - dot
            let scale = 1 / (Float(n) * tau)
            for c in 0..<k { dp[c] = (exp(logits[c] / tau - top) / sum * weight - targets[c]) * scale }
        }
    }
}
