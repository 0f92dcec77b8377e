import Foundation

extension Reference {
    /// `tripletLoss` by its definition in float64: rows normalised (F.normalize's ε 1e-12), the full M × M similarity
    /// matrix, each anchor's negative found by scanning the other rows in order (hardest: the largest similarity;
    /// semi-hard: the largest below the positive's, else the smallest; the first among equals), the mean hinge, and
    /// dL/dz through the normalisation. Also returns each anchor's negative row.
    public static func tripletLoss(_ z: [Double], rows m: Int, cols d: Int, margin: Double,
                                   mining: TripletMining) -> (loss: Double, gradient: [Double], negatives: [Int]) {
        let norms = (0..<m).map { r in max((0..<d).reduce(0.0) { $0 + z[r * d + $1] * z[r * d + $1] }.squareRoot(), 1e-12) }
        let u = (0..<m * d).map { z[$0] / norms[$0 / d] }
        var similarity = [Double](repeating: 0, count: m * m)
        for i in 0..<m {
            for j in 0..<m {
                var sum = 0.0
                for c in 0..<d { sum += u[i * d + c] * u[j * d + c] }
                similarity[i * m + j] = sum
            }
        }
        func s(_ i: Int, _ j: Int) -> Double { similarity[i * m + j] }
        func partner(_ i: Int) -> Int { (i + m / 2) % m }
        var negatives = [Int](repeating: -1, count: m), weights = [Double](repeating: 0, count: m), total = 0.0
        for i in 0..<m {
            let p = partner(i), sp = s(i, p)
            let others = (0..<m).filter { $0 != i && $0 != p }
            let below = others.filter { s(i, $0) < sp }
            let hardest = others.max { s(i, $0) < s(i, $1) || (s(i, $0) == s(i, $1) && $0 > $1) }!
            let easiest = others.min { s(i, $0) < s(i, $1) || (s(i, $0) == s(i, $1) && $0 < $1) }!
            let semiHard = below.max { s(i, $0) < s(i, $1) || (s(i, $0) == s(i, $1) && $0 > $1) } ?? easiest
            let n = mining == .hardest ? hardest : semiHard
            negatives[i] = n
            let hinge = (2 - 2 * sp) - (2 - 2 * s(i, n)) + margin
            if hinge > 0 { (total, weights[i]) = (total + hinge, 1 / Double(m)) }
        }
        // d/dû of (1/M)·(‖û_a − û_p‖² − ‖û_a − û_n‖²) = (1/M)·(2 û_n − 2 û_p) for the anchor, −(2/M) û_a for its
        // positive, (2/M) û_a for its negative.
        var du = [Double](repeating: 0, count: m * d)
        for a in 0..<m where weights[a] != 0 {
            let (p, n) = (partner(a), negatives[a])
            for c in 0..<d {
                du[a * d + c] += 2 * weights[a] * (u[n * d + c] - u[p * d + c])
                du[p * d + c] -= 2 * weights[a] * u[a * d + c]
                du[n * d + c] += 2 * weights[a] * u[a * d + c]
            }
        }
        var gradient = [Double](repeating: 0, count: m * d)
        for r in 0..<m {
            let dot = (0..<d).reduce(0.0) { $0 + u[r * d + $1] * du[r * d + $1] }
            for c in 0..<d { gradient[r * d + c] = (du[r * d + c] - u[r * d + c] * dot) / norms[r] }
        }
        return (total / Double(m), gradient, negatives)
    }
}
