import Foundation

extension Reference {
    /// What `predictiveCodingLoss` computes, in float64 and plain loops: for every step k < rows and every position
    /// (b, y, x) with y + k < rows, the softmax cross-entropy of the prediction's dot products with every target
    /// vector, its class the target k rows below; the mean per step, summed over the steps; and both gradients.
    /// `predictions` and `targets` are NCHW [b, d, rows, columns].
    public static func predictiveCodingLoss(predictions: [Double], targets: [Double], b: Int, d: Int, rows: Int,
                                            columns: Int, steps: [Int])
        -> (loss: Double, predictions: [Double], targets: [Double]) {
        let positions = rows * columns
        func at(_ image: Int, _ channel: Int, _ position: Int) -> Int { (image * d + channel) * positions + position }
        var loss = 0.0
        var dPredictions = [Double](repeating: 0, count: predictions.count), dTargets = dPredictions
        for k in steps where k < rows {
            let count = Double(b * (rows - k) * columns)
            for image in 0..<b {
                for position in 0..<(rows - k) * columns {
                    var logits: [Double] = []
                    for other in 0..<b {
                        for q in 0..<positions {
                            var dot = 0.0
                            for c in 0..<d { dot += predictions[at(image, c, position)] * targets[at(other, c, q)] }
                            logits.append(dot)
                        }
                    }
                    let label = image * positions + position + k * columns
                    let largest = logits.max()!
                    let lse = largest + log(logits.reduce(0) { $0 + exp($1 - largest) })
                    loss += (lse - logits[label]) / count
                    for (j, logit) in logits.enumerated() {
                        let g = (exp(logit - lse) - (j == label ? 1 : 0)) / count
                        let (other, q) = (j / positions, j % positions)
                        for c in 0..<d {
                            dPredictions[at(image, c, position)] += g * targets[at(other, c, q)]
                            dTargets[at(other, c, q)] += g * predictions[at(image, c, position)]
                        }
                    }
                }
            }
        }
        return (loss, dPredictions, dTargets)
    }
}
