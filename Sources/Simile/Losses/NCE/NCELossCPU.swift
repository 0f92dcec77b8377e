import Foundation

/// The CPU NCE passes on unit queries U [B, d], their unit targets T [B, d] and the cosines S [B, K] with the noise
/// rows (nce_loss.cl describes the same passes): the estimate of log Z when `normaliser` has none, each row's loss
/// softplus(−x₊) + Σ_k softplus(x_k) (the mean into `loss`), S overwritten by dL/d(cosine) = σ(x_k)/(τB), and
/// dL/dÛ's target share −σ(−x₊)/(τB)·T_b, returned.
func nceLossCPU(_ cpu: CPUBackend, units: Tensor, targets: Tensor, scores: Tensor, _ constants: NCEConstants,
                normaliser: Tensor, loss: Tensor) throws -> Tensor {
    let (b, k, d) = (constants.queries, constants.noise, units.shape[1])
    let (u, t, s) = (units.hostPointer, targets.hostPointer, scores.hostPointer)
    let positives = (0..<b).map { contiguousDot(u + $0 * d, t + $0 * d, count: d) }
    let state = normaliser.hostPointer, inverseTemperature = constants.inverseTemperature
    if state[0] == 0 {
        let all = UnsafeBufferPointer(start: s, count: b * k)
        let largest = max(all.max() ?? -.infinity, positives.max() ?? -.infinity) * inverseTemperature
        let sum = all.reduce(0.0) { $0 + Double(exp($1 * inverseTemperature - largest)) }
            + positives.reduce(0.0) { $0 + Double(exp($1 * inverseTemperature - largest)) }
        state[1] = constants.logBankRows + largest + Float(log(sum) - log(Double(b) * Double(k + 1)))
        state[0] = 1
    }
    let offset = state[1] + constants.logNoiseRatio, scale = constants.scale
    let gradient = try Tensor(uninitialized: [b, d], on: units.device), g = gradient.hostPointer
    var rowLosses = [Double](repeating: 0, count: b)
    rowLosses.withUnsafeMutableBufferPointer { rowLoss in
        cpu.parallelFor(b, work: b * k) { range in
            for row in range {
                let scoresOfRow = s + row * k
                var total = 0.0
                for j in 0..<k {
                    let x = scoresOfRow[j] * inverseTemperature - offset
                    total += Double(softplus(x))
                    scoresOfRow[j] = sigmoid(x) * scale
                }
                let x = positives[row] * inverseTemperature - offset
                rowLoss[row] = total + Double(softplus(-x))
                let weight = -sigmoid(-x) * scale
                for c in 0..<d { g[row * d + c] = weight * t[row * d + c] }
            }
        }
    }
    loss.hostPointer[0] = Float(rowLosses.reduce(0, +) / Double(b))
    return gradient
}

/// log(1 + eˣ) without overflow.
private func softplus(_ x: Float) -> Float { max(x, 0) + log1p(exp(-abs(x))) }

/// 1 / (1 + e⁻ˣ) without overflow.
private func sigmoid(_ x: Float) -> Float {
    let e = exp(-abs(x))
    return x >= 0 ? 1 / (1 + e) : e / (1 + e)
}
