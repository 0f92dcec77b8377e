import Foundation

/// A learning rate per optimiser step, computed on the host (pass it to `Optimizer.setLearningRate`).
///
/// - `constant(lr)`: lr at every step.
/// - `warmupCosine(peak, warmupSteps, totalSteps, final)`: linear warm-up peak·(s+1)/W for s < W, then
///   cosine decay final + (peak − final)·(1 + cos(π·(s−W)/(T−W)))/2 for W ≤ s < T, and `final` from T on.
public enum LearningRateSchedule: Sendable, Equatable {
    case constant(Float)
    case warmupCosine(peak: Float, warmupSteps: Int, totalSteps: Int, final: Float = 0)

    /// Throws `invalidArgument` for negative rates or steps, or a warm-up longer than the run.
    public func validate() throws {
        switch self {
        case .constant(let lr):
            try requireNonNegative("learning rate", lr)
        case let .warmupCosine(peak, warmupSteps, totalSteps, final):
            try requireNonNegative("peak learning rate", peak)
            try requireNonNegative("final learning rate", final)
            guard warmupSteps >= 0, totalSteps > 0, warmupSteps <= totalSteps else {
                throw SimileError.invalidArgument(
                    "warm-up cosine schedule needs 0 ≤ warmupSteps ≤ totalSteps and totalSteps > 0, got \(warmupSteps) and \(totalSteps)")
            }
        }
    }

    /// The learning rate of step `step` (0-based).
    public func learningRate(at step: Int) -> Float {
        switch self {
        case .constant(let lr):
            return lr
        case let .warmupCosine(peak, warmupSteps, totalSteps, final):
            if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
            guard step < totalSteps else { return final }
            let progress = Double(step - warmupSteps) / Double(totalSteps - warmupSteps)
            return final + (peak - final) * Float((1 + cos(Double.pi * progress)) / 2)
        }
    }
}

/// A target network's EMA momentum at optimiser step s of T, rising on a half cosine from `start` at s = 0 to
/// `end` at s = T: end − (end − start)·(cos(π·s/T) + 1)/2 (BYOL's τ schedule with end 1; MoCo's constant m with
/// end = start). Computed in float64 from the global step, so a resumed run gets the same value.
public func cosineMomentum(step: Int, totalSteps: Int, start: Float, end: Float) -> Float {
    let progress = Double(min(step, totalSteps)) / Double(max(totalSteps, 1))
    return Float(Double(end) - (Double(end) - Double(start)) * (cos(Double.pi * progress) + 1) / 2)
}

/// How a base learning rate grows with the batch size B (SimCLR's rule names).
public enum BatchScaling: String, Sendable, CaseIterable {
    /// lr·B/256.
    case linear
    /// lr·√B.
    case sqrt

    public func scale(_ learningRate: Float, batchSize: Int) -> Float {
        switch self {
        case .linear: return learningRate * Float(batchSize) / 256
        case .sqrt: return learningRate * Float(batchSize).squareRoot()
        }
    }
}
