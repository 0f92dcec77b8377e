import Foundation
import Testing
@testable import Simile

/// The float64 reference losses against values computed independently in lightly's formulation
/// (both directions, each a mean over N, averaged; numpy, float64), and its gradient against finite differences.
@Suite struct ContrastiveReferenceTests {
    static let identity: [Double] = [1, 0, 0, 1, 1, 0, 0, 1]
    static let skewed: [Double] = [1, 0, 0, 1, 1, 0, 1, 1]
    static let general: [Double] = [0.3, -1.2, 0.5, 2.0, 0.1, -0.4, -0.7, 0.9, 1.1,
                                    0.2, -1.0, 0.8, 1.5, 0.3, -0.1, -0.2, 1.3, 0.6]

    static let expected: [(z: [Double], cols: Int, method: ContrastiveMethod, temperature: Double, loss: Double)] = [
        (identity, 2, .ntxent, 1.0, 0.5514447139320511),  // log(2 + e) − 1, by hand
        (identity, 2, .dcl, 1.0, -0.3068528194400547),    // log 2 − 1, by hand
        (identity, 2, .dclw, 0.5, -1.3068528194400546),   // equal alignments: w = 1, as DCL
        (skewed, 2, .ntxent, 0.5, 0.6366709064811065),
        (skewed, 2, .dcl, 1.0, 0.22376704881196072),
        (skewed, 2, .dclw, 1.0, 0.2654743917453368),
        (skewed, 2, .dclw, 0.05, -5.283745284442823),
        (general, 3, .ntxent, 1.0, 0.8342014407950479),
        (general, 3, .ntxent, 0.5, 0.3678275924969441),
        (general, 3, .dcl, 0.5, -0.8123714094653085),
        (general, 3, .dcl, 0.05, -17.88370069424746),
        (general, 3, .dclw, 1.0, 0.26965696719510124),
        (general, 3, .dclw, 0.05, -17.776800194322895),
    ]

    @Test("DCLW's weights follow the alignment of each pair")
    func dclwWeights() {
        let weights = Reference.positiveWeights(Self.skewed, rows: 4, cols: 2, method: .dclw, sigma: 0.5)
        // scores 1/0.5 = 2 and (1/√2)/0.5 = √2; w = 2 − 2·softmax
        let e2 = exp(2.0), eRoot2 = exp(2.0.squareRoot())
        #expect(abs(weights[0] - (2 - 2 * e2 / (e2 + eRoot2))) < 1e-12)
        #expect(abs(weights[1] - (2 - 2 * eRoot2 / (e2 + eRoot2))) < 1e-12)
        #expect(Reference.positiveWeights(Self.skewed, rows: 4, cols: 2, method: .dcl, sigma: 0.5) == [1, 1])
    }

    @Test("losses match lightly's definitions", arguments: expected.indices)
    func matchesLightly(index: Int) {
        let c = Self.expected[index]
        let result = Reference.contrastiveLoss(c.z, rows: c.z.count / c.cols, cols: c.cols, method: c.method,
                                               temperature: c.temperature)
        #expect(abs(result.loss - c.loss) <= 1e-12 * max(1, abs(c.loss)),
                "\(c.method) τ=\(c.temperature): \(result.loss) vs \(c.loss)")
    }

    /// DCLW's weights are held at their value at z: the definition gives them no gradient.
    @Test("the analytic gradient matches float64 finite differences",
          arguments: ContrastiveMethod.allCases, [1.0, 0.5, 0.05])
    func gradient(method: ContrastiveMethod, temperature: Double) {
        let z = Self.general, cols = 3, rows = 6
        let weights = Reference.positiveWeights(z, rows: rows, cols: cols, method: method, sigma: 0.5)
        func loss(_ probe: [Double]) -> Double {
            Reference.contrastiveLoss(probe, rows: rows, cols: cols, method: method, temperature: temperature,
                                      frozenWeights: weights).loss
        }
        let analytic = Reference.contrastiveLoss(z, rows: rows, cols: cols, method: method, temperature: temperature).gradient
        var probe = z
        for i in z.indices {
            let h = 1e-6
            probe[i] = z[i] + h
            let plus = loss(probe)
            probe[i] = z[i] - h
            let minus = loss(probe)
            probe[i] = z[i]
            let numeric = (plus - minus) / (2 * h)
            #expect(abs(analytic[i] - numeric) <= 1e-6 * max(1, abs(numeric)),
                    "\(method) τ=\(temperature) dz[\(i)]: analytic \(analytic[i]) vs numeric \(numeric)")
        }
    }

    /// Two near-identical positive pairs with nearly antipodal negatives (ContrastiveLossTests.tinyLosses).
    static let tiny: [Double] = [1, 0, -1, 0.01, 1, 0.02, -1, -0.01]

    /// The loss from numpy in float64 as ℓ_i = log1p(Σ_k exp(s_ik − s_i+)) over the negatives k (lse − s+ errs by
    /// ~5e-7 of it even in float64), and the gradient against finite differences, both relative to their size.
    @Test("a tiny NT-Xent loss keeps its float64 relative precision, and so does its gradient")
    func tinyLoss() {
        let result = Reference.contrastiveLoss(Self.tiny, rows: 4, cols: 2, method: .ntxent, temperature: 0.1)
        #expect(abs(result.loss - 4.1367635393122714e-09) <= 1e-12 * 4.1367635393122714e-09, "\(result.loss)")
        func loss(_ probe: [Double]) -> Double {
            Reference.contrastiveLoss(probe, rows: 4, cols: 2, method: .ntxent, temperature: 0.1).loss
        }
        let largest = result.gradient.map(abs).max()!
        var probe = Self.tiny
        for i in probe.indices {
            let h = 1e-6
            probe[i] = Self.tiny[i] + h
            let plus = loss(probe)
            probe[i] = Self.tiny[i] - h
            let minus = loss(probe)
            probe[i] = Self.tiny[i]
            let numeric = (plus - minus) / (2 * h)
            #expect(abs(result.gradient[i] - numeric) <= 1e-6 * largest,
                    "dz[\(i)]: analytic \(result.gradient[i]) vs numeric \(numeric), largest entry \(largest)")
        }
    }
}
