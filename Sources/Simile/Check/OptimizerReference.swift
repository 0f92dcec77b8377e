import Foundation

/// The optimiser update rules in float64, written from OptimizerRule's formulas element by element,
/// for the tests to compare both backends against.
public struct OptimizerReference {
    public let rule: OptimizerRule
    public let learningRate: Double
    public let weightDecay: Double
    /// LARS: false for a parameter of an `excludedFromAdaptation` group.
    public let adapt: Bool
    public private(set) var value: [Double]
    private var state0: [Double]
    private var state1: [Double]
    private var step = 0

    public init(_ rule: OptimizerRule, value: [Double], learningRate: Double, weightDecay: Double, adapt: Bool = true) {
        self.rule = rule
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.adapt = adapt
        self.value = value
        state0 = [Double](repeating: 0, count: value.count)
        state1 = state0
    }

    /// Applies one update with `gradient`.
    public mutating func step(_ gradient: [Double]) {
        step += 1
        switch rule {
        case let .sgd(momentum, nesterov):
            momentumStep(gradient, scale: 1, momentum: Double(momentum), nesterov: nesterov)
        case let .lars(momentum, nesterov, trust, eps):
            let pNorm = value.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let gNorm = gradient.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let scale = adapt && pNorm > 0 && gNorm > 0
                ? Double(trust) * pNorm / (gNorm + weightDecay * pNorm + Double(eps)) : 1
            momentumStep(gradient, scale: scale, momentum: Double(momentum), nesterov: nesterov)
        case let .adamw(beta1, beta2, eps):
            let b1 = Double(beta1), b2 = Double(beta2)
            let c1 = 1 - pow(b1, Double(step)), c2 = 1 - pow(b2, Double(step))
            for i in value.indices {
                value[i] -= learningRate * weightDecay * value[i]
                state0[i] = b1 * state0[i] + (1 - b1) * gradient[i]
                state1[i] = b2 * state1[i] + (1 - b2) * gradient[i] * gradient[i]
                value[i] -= learningRate * (state0[i] / c1) / ((state1[i] / c2).squareRoot() + Double(eps))
            }
        }
    }

    private mutating func momentumStep(_ gradient: [Double], scale: Double, momentum: Double, nesterov: Bool) {
        for i in value.indices {
            var d = scale * (gradient[i] + weightDecay * value[i])
            if momentum > 0 {
                state0[i] = step == 1 ? d : momentum * state0[i] + d
                d = nesterov ? d + momentum * state0[i] : state0[i]
            }
            value[i] -= learningRate * d
        }
    }
}
