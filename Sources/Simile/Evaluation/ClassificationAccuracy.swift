/// How often a classifier ranked each test row's true class first (top-1) or among its first five (top-5).
///
/// Classes are ranked by score, higher first; among equal scores the lower class index comes first (so a row
/// whose scores are all equal predicts class 0). With fewer than five classes, top-5 counts the first C, and is 1.
public struct ClassificationAccuracy: Equatable, Sendable {
    /// The fraction of test rows whose true class is ranked first.
    public let top1: Double
    /// The fraction of test rows whose true class is among the first `topCount` ranked.
    public let top5: Double
    /// min(5, C): how many ranked classes count for `top5`.
    public let topCount: Int
    /// Each test row's first-ranked class.
    public let predictions: [Int]

    /// The accuracies of rows whose ranked classes (first `topCount` of each) are `ranked`, against `labels`.
    init(ranked: [[Int]], labels: [Int], topCount: Int) {
        let rows = Double(labels.count)
        top1 = Double(zip(ranked, labels).filter { $0.first == $1 }.count) / rows
        top5 = Double(zip(ranked, labels).filter { $0.contains($1) }.count) / rows
        self.topCount = topCount
        predictions = ranked.map { $0[0] }
    }
}

/// The first `count` classes of `scores` (one per class) by the ranking `ClassificationAccuracy` defines: higher
/// score first, the lower class index among equals. `count` is at most 5, so a selection pass per place is cheapest.
func topClasses(_ scores: UnsafeBufferPointer<Double>, count: Int) -> [Int] {
    var chosen = [Int]()
    chosen.reserveCapacity(count)
    for _ in 0..<count {
        var best = -1
        for c in scores.indices where !chosen.contains(c) && (best < 0 || scores[c] > scores[best]) { best = c }
        chosen.append(best)
    }
    return chosen
}
