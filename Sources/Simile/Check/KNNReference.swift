import Foundation

extension Reference {
    /// The weighted kNN classifier by its definition, in float64 with the full Ntest × Ntrain similarity matrix:
    /// rows L2-normalised (eps 1e-12), each test row's train rows sorted by cosine s (higher first, the lower index
    /// among equals), the first min(k, Ntrain) voting exp(s/T) for their labels, classes sorted by score (higher
    /// first, the lower index among equals). Returns the top-1 and top-min(5, C) accuracy, each row's first class
    /// and the class scores (Ntest × C, row-major), which tests use to avoid near-ties.
    public static func knnClassify(train: [Double], trainLabels: [Int], test: [Double], testLabels: [Int], cols d: Int,
                                   classes: Int, k: Int, temperature: Double)
        -> (top1: Double, top5: Double, predictions: [Int], scores: [Double]) {
        let trainRows = trainLabels.count, testRows = testLabels.count
        let trainUnits = l2Normalize(train, rows: trainRows, cols: d, eps: 1e-12).y
        let testUnits = l2Normalize(test, rows: testRows, cols: d, eps: 1e-12).y
        var top1 = 0, top5 = 0, predictions = [Int](), scores = [Double]()
        for i in 0..<testRows {
            let similarities = (0..<trainRows).map { j in (0..<d).reduce(0) { $0 + testUnits[i * d + $1] * trainUnits[j * d + $1] } }
            let order = (0..<trainRows).sorted { similarities[$0] > similarities[$1] || (similarities[$0] == similarities[$1] && $0 < $1) }
            var rowScores = [Double](repeating: 0, count: classes)
            for j in order.prefix(k) { rowScores[trainLabels[j]] += exp(similarities[j] / temperature) }
            let ranking = (0..<classes).sorted { rowScores[$0] > rowScores[$1] || (rowScores[$0] == rowScores[$1] && $0 < $1) }
            if ranking[0] == testLabels[i] { top1 += 1 }
            if ranking.prefix(5).contains(testLabels[i]) { top5 += 1 }
            predictions.append(ranking[0])
            scores += rowScores
        }
        return (Double(top1) / Double(testRows), Double(top5) / Double(testRows), predictions, scores)
    }
}
