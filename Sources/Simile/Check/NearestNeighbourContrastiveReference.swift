extension Reference {
    /// NNCLR's loss ½(NT-Xent([NN(z₁); p₂]) + NT-Xent([NN(z₂); p₁])) and dLoss/dp in float64, from the brute-force
    /// neighbours and the full-matrix NT-Xent, each term built exactly as its definition says (neighbours first).
    public static func nearestNeighbourContrastiveLoss(projections z: [Double], predictions p: [Double],
                                                       support: [Double], rows: Int, supportRows k: Int, cols d: Int,
                                                       temperature: Double) -> (loss: Double, gradient: [Double]) {
        let half = rows / 2
        let indices = nearestNeighbours(of: z, in: support, rows: rows, supportRows: k, cols: d).indices
        func slice(_ x: [Double], _ range: Range<Int>) -> [Double] { Array(x[range.lowerBound * d..<range.upperBound * d]) }
        func neighbours(_ range: Range<Int>) -> [Double] { range.flatMap { slice(support, indices[$0]..<indices[$0] + 1) } }
        let first = contrastiveLoss(neighbours(0..<half) + slice(p, half..<2 * half), rows: rows, cols: d,
                                    method: .ntxent, temperature: temperature)
        let second = contrastiveLoss(neighbours(half..<2 * half) + slice(p, 0..<half), rows: rows, cols: d,
                                     method: .ntxent, temperature: temperature)
        // p₁ is the second half of the second stack, p₂ the second half of the first.
        let gradient = (slice(second.gradient, half..<2 * half) + slice(first.gradient, half..<2 * half)).map { $0 / 2 }
        return ((first.loss + second.loss) / 2, gradient)
    }
}
