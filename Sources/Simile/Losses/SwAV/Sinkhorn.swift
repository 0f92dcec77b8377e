import Foundation
import Kernels

/// SwAV's codes: the Sinkhorn–Knopp normalisation of exp(scores / ε) for scores [B, K] (B samples against K
/// prototypes), as lightly's `sinkhorn` computes it. With Q = exp(S/ε) viewed K × B, each of `iterations` rounds
/// divides every prototype's row by its sum and by K, then every sample's column by its sum and by B; the result is
/// B·Q, given back [B, K]: each sample's codes sum to 1, and after enough rounds each prototype receives B/K of them
/// (an equipartition). No gradient flows through it (SwAV's codes are targets).
///
/// exp(S/ε) overflows float32 once S/ε passes about 88 (scores of 1 at ε = 0.01), so each prototype's scores are
/// shifted by their maximum over the batch first: the first round's division by the prototype's sum cancels that
/// factor exactly, so the shift changes nothing but the range (lightly's global normalisation before the loop
/// cancels the same way). Every sum runs in a fixed order on both backends (Kernels/sinkhorn.cl on OpenCL).
/// Non-finite scores are refused on the CPU; on OpenCL they give NaN codes, which the loss that consumes them
/// reports, so that nothing waits for the device here.
public func sinkhorn(_ scores: Tensor, epsilon: Float = 0.05, iterations: Int = 3) throws -> Tensor {
    let op = "sinkhorn"
    try requireRank(op, scores, 2, name: "scores")
    guard epsilon.isFinite, epsilon > 0 else {
        throw SimileError.invalidArgument("\(op): epsilon must be a finite number > 0, got \(epsilon)")
    }
    guard (1...sinkhornMaxIterations).contains(iterations) else {
        throw SimileError.invalidArgument("\(op): iterations must be 1 to \(sinkhornMaxIterations), got \(iterations)")
    }
    let (b, k) = (scores.shape[0], scores.shape[1])
    let codes = try Tensor(uninitialized: [b, k], on: scores.device)
    guard codes.count > 0 else { return codes }
    switch scores.device.backend {
    case .cpu(let cpu):
        try FiniteCheck.require(op, [("scores", scores)])
        sinkhornCPU(cpu, scores.hostPointer, into: codes.hostPointer, b: b, k: k, epsilon: epsilon,
                    iterations: iterations)
    case .opencl(let cl):
        let prototypes = try cl.kernel("sinkhorn_prototypes", program: "sinkhorn", source: KernelSource.sinkhorn)
        let samples = try cl.kernel("sinkhorn_samples", program: "sinkhorn", source: KernelSource.sinkhorn)
        for round in 0..<iterations {
            try cl.launch(prototypes, name: "sinkhorn_prototypes", global: [k],
                          [.buffer(codes.clBuffer), .buffer(scores.clBuffer), .int(b), .int(k), .float(epsilon),
                           .int(round == 0 ? 1 : 0)])
            try cl.launch(samples, name: "sinkhorn_samples", global: [b],
                          [.buffer(codes.clBuffer), .int(k), .float(round == iterations - 1 ? 1 : Float(b))])
        }
    }
    return codes
}

/// More rounds than any use needs (SwAV takes 3); the bound keeps a mistyped count from running for hours.
public let sinkhornMaxIterations = 10_000

/// The CPU rounds of `sinkhorn`, row-major friendly: a prototype's sum runs down its column in row order (as the
/// kernel's), kept for all prototypes in one vector while the rows stream past; the scalings run in parallel over
/// rows.
private func sinkhornCPU(_ cpu: CPUBackend, _ s: UnsafeMutablePointer<Float>, into q: UnsafeMutablePointer<Float>,
                         b: Int, k: Int, epsilon: Float, iterations: Int) {
    var columns = [Float](repeating: -.infinity, count: k)
    for row in 0..<b {
        for column in 0..<k { columns[column] = max(columns[column], s[row * k + column]) }
    }
    columns.withUnsafeBufferPointer { top in
        cpu.parallelFor(b, work: b * k) { rows in
            for row in rows {
                for column in 0..<k { q[row * k + column] = exp((s[row * k + column] - top[column]) / epsilon) }
            }
        }
    }
    for round in 0..<iterations {
        for column in 0..<k { columns[column] = 0 }
        for row in 0..<b {
            for column in 0..<k { columns[column] += q[row * k + column] }
        }
        for column in 0..<k { columns[column] = 1 / (columns[column] * Float(k)) }
        let divisor: Float = round == iterations - 1 ? 1 : Float(b)
        columns.withUnsafeBufferPointer { scale in
            cpu.parallelFor(b, work: 2 * b * k) { rows in
                for row in rows {
                    let codes = q + row * k
                    var sum: Float = 0
                    for column in 0..<k {
                        codes[column] *= scale[column]
                        sum += codes[column]
                    }
                    let rowScale = 1 / (sum * divisor)
                    for column in 0..<k { codes[column] *= rowScale }
                }
            }
        }
    }
}
