import Foundation

extension CPUBackend {
    /// The row pass of `featureMapContrastiveLoss` on the CPU, as Kernels/feature_map_loss.cl documents it: rows
    /// split over the cores, each clipped once into a row of scratch, its loss term kept per row and summed in row
    /// order (in float64) into `loss`; `scores` becomes dLoss/dscores.
    func featureMapLossRows(_ scores: Tensor, _ scale: FeatureMapScoreScale, loss: Tensor) {
        let (b, l) = (scale.images, scale.locations), width = b * l
        let (k, tclip, weight) = (scale.inverseRootD, scale.tclip, scale.weight)
        let perScore = 1 / Float(width), perSquare = 2 * scale.regularization / Float(b * width)
        let s = scores.hostPointer
        var rowLoss = [Double](repeating: 0, count: b)
        rowLoss.withUnsafeMutableBufferPointer { rowLoss in
            parallelFor(b, work: b * width) { range in
                let clipped = UnsafeMutablePointer<Float>.allocate(capacity: width)
                defer { clipped.deallocate() }
                for i in range {
                    let row = s + i * width, own = i * l..<(i + 1) * l
                    var largest = -Float.infinity, squares: Float = 0
                    for q in 0..<width {
                        let score = row[q] * k
                        clipped[q] = tclip * tanh(score / tclip)
                        squares += score * score
                        if !own.contains(q) { largest = max(largest, clipped[q]) }
                    }
                    var negatives: Float = 0
                    for q in 0..<width where !own.contains(q) { negatives += exp(clipped[q] - largest) }
                    var total: Float = 0, inverseSum: Float = 0
                    for q in own {
                        total += positiveLoss(negatives: negatives, gap: largest - clipped[q])
                        inverseSum += 1 / (exp(clipped[q] - largest) + negatives)
                    }
                    for q in 0..<width {
                        let c = clipped[q]
                        let dc = own.contains(q) ? -negatives / (negatives + exp(c - largest))
                            : exp(c - largest) * inverseSum
                        let slope = 1 - (c / tclip) * (c / tclip)
                        row[q] = weight * k * (dc * perScore * slope + perSquare * row[q] * k)
                    }
                    rowLoss[i] = Double(weight) * (Double(total * perScore) + 0.5 * Double(perSquare * squares))
                }
            }
        }
        loss.hostPointer[0] = Float(rowLoss.reduce(0, +))
    }
}
