import Foundation

extension Reference {
    /// What `featureMapContrastiveLoss` computes, in float64 and the plain way: the whole B×B×L tensor of clipped
    /// scores, each ℓ_il as log-sum-exp minus the positive, and the gradients by the chain rule through the clip and
    /// the regulariser. `sources` is [b, d], `targets` [b, d, L] (NCHW maps with L = H·W).
    public static func featureMapContrastiveLoss(sources: [Double], targets: [Double], b: Int, d: Int, locations l: Int,
                                                 tclip: Double, regularization: Double, weight: Double)
        -> (loss: Double, sources: [Double], targets: [Double]) {
        func index(_ i: Int, _ j: Int, _ q: Int) -> Int { (i * b + j) * l + q }
        var raw = [Double](repeating: 0, count: b * b * l)
        for i in 0..<b {
            for j in 0..<b {
                for q in 0..<l {
                    var dot = 0.0
                    for c in 0..<d { dot += sources[i * d + c] * targets[(j * d + c) * l + q] }
                    raw[index(i, j, q)] = dot / Double(d).squareRoot()
                }
            }
        }
        let clipped = raw.map { tclip * tanh($0 / tclip) }
        var loss = regularization * raw.reduce(0) { $0 + $1 * $1 } / Double(raw.count)
        var dClipped = [Double](repeating: 0, count: raw.count)
        let perScore = 1 / Double(b * l)
        for i in 0..<b {
            var negatives: [(Int, Double)] = []
            for j in 0..<b where j != i {
                for q in 0..<l { negatives.append((index(i, j, q), clipped[index(i, j, q)])) }
            }
            for q in 0..<l {
                let positive = clipped[index(i, i, q)]
                let terms = [positive] + negatives.map(\.1)
                let largest = terms.max()!
                let logSum = largest + log(terms.reduce(0) { $0 + exp($1 - largest) })
                loss += perScore * (logSum - positive)
                dClipped[index(i, i, q)] += perScore * (exp(positive - logSum) - 1)
                for (at, value) in negatives { dClipped[at] += perScore * exp(value - logSum) }
            }
        }
        var dSources = [Double](repeating: 0, count: b * d), dTargets = [Double](repeating: 0, count: b * d * l)
        for i in 0..<b {
            for j in 0..<b {
                for q in 0..<l {
                    let at = index(i, j, q)
                    let slope = 1 - (clipped[at] / tclip) * (clipped[at] / tclip)
                    let dRaw = weight * (dClipped[at] * slope + 2 * regularization * raw[at] / Double(raw.count))
                        / Double(d).squareRoot()
                    for c in 0..<d {
                        dSources[i * d + c] += dRaw * targets[(j * d + c) * l + q]
                        dTargets[(j * d + c) * l + q] += dRaw * sources[i * d + c]
                    }
                }
            }
        }
        return (weight * loss, dSources, dTargets)
    }
}
