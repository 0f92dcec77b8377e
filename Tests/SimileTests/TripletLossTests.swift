import Foundation
import Testing
@testable import Simile

/// The triplet loss with batch-mined negatives against its float64 definition, finite differences and a hand-made
/// batch whose negatives are known.
@Suite struct TripletLossTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let n: Int, d: Int, margin: Float, mining: TripletMining
        var testDescription: String { "N \(n), d \(d), margin \(margin), \(mining.rawValue)" }
    }

    static let cases: [Case] = TripletMining.allCases.flatMap { mining in
        [Case(n: 2, d: 3, margin: 0.2, mining: mining), Case(n: 5, d: 7, margin: 0.2, mining: mining),
         Case(n: 64, d: 16, margin: 0.5, mining: mining), Case(n: 130, d: 128, margin: mining == .hardest ? 0 : 0.3, mining: mining),
         Case(n: 5, d: 7, margin: 5, mining: mining)]
    }

    /// On OpenCL also with work-groups of 256 items (a GPU's merge tree, run on CI's CPU device).
    @Test("loss and gradient match float64 on each backend", arguments: AugmentTarget.all, Self.cases)
    func matchesReference(backend: AugmentTarget, problem: Case) throws {
        guard let device = try backend.open() else { return }
        let (m, d) = (2 * problem.n, problem.d)
        // 260 rows: two of the CPU path's row blocks.
        let z = randomValues(m * d, seed: 70 &+ UInt64(m * d))
        let expected = Reference.tripletLoss(z.map(Double.init), rows: m, cols: d, margin: Double(problem.margin),
                                             mining: problem.mining)
        let result = try tripletLoss(Tensor(z, shape: [m, d], on: device), margin: problem.margin, mining: problem.mining)
        let loss = try result.value()
        #expect(abs(Double(loss) - expected.loss) <= 1e-5 * max(1, expected.loss), "\(loss) against \(expected.loss)")
        expectClose(try result.gradient.toArray(), expected.gradient, tolerance: 1e-5, "\(backend) \(problem)")
        // Semi-hard negatives lie below their positive: at margin 0 every such triplet is inactive, as it should be,
        // and tests nothing; the cases keep some active.
        #expect(expected.loss > 0, "a case whose triplets are all inactive tests nothing")
    }

    @Test("the gradient matches central differences of the float64 loss", arguments: TestBackend.allCases,
          TripletMining.allCases)
    func finiteDifferences(backend: TestBackend, mining: TripletMining) throws {
        guard let device = try backend.open() else { return }
        let (m, d, margin) = (8, 5, 0.3)
        let z = randomValues(m * d, seed: 71).map(Double.init)
        let gradient = try tripletLoss(Tensor(z.map(Float.init), shape: [m, d], on: device), margin: Float(margin),
                                       mining: mining).gradient.toArray()
        let h = 1e-6
        let numeric = (0..<m * d).map { k -> Double in
            var (plus, minus) = (z, z)
            plus[k] += h
            minus[k] -= h
            return (Reference.tripletLoss(plus, rows: m, cols: d, margin: margin, mining: mining).loss
                    - Reference.tripletLoss(minus, rows: m, cols: d, margin: margin, mining: mining).loss) / (2 * h)
        }
        expectClose(gradient, numeric, tolerance: 1e-4, "\(backend) \(mining)")
    }

    /// Six unit rows on a circle: anchor 0 at 0°, its positive (row 3) at 30°; the other rows at 10° (closer than the
    /// positive: the hardest), 50° (the closest farther than the positive: semi-hard), 90° and 120°.
    @Test("a hand-made batch: the hardest and the semi-hard negatives of anchor 0 are the rows at 10° and 50°",
          arguments: TestBackend.allCases)
    func handMade(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let degrees: [Double] = [0, 10, 50, 30, 90, 120]
        let z = degrees.flatMap { [cos($0 * .pi / 180), sin($0 * .pi / 180)] }
        let cosine = { (a: Double) in cos(a * .pi / 180) }
        for (mining, row) in [(TripletMining.hardest, 1), (.semiHard, 2)] {
            let reference = Reference.tripletLoss(z, rows: 6, cols: 2, margin: 0.5, mining: mining)
            #expect(reference.negatives[0] == row, "\(mining)")
            let hinge0 = max(2 * (cosine(degrees[row]) - cosine(30)) + 0.5, 0)
            #expect(hinge0 > 0)
            let result = try tripletLoss(Tensor(z.map(Float.init), shape: [6, 2], on: device), margin: 0.5, mining: mining)
            #expect(abs(Double(try result.value()) - reference.loss) < 1e-6, "\(mining)")
            expectClose(try result.gradient.toArray(), reference.gradient, tolerance: 1e-6, "\(mining)")
        }
    }

    @Test("bad shapes and margins are one clear error; a non-finite z is reported by value()", arguments: TestBackend.allCases)
    func badInputs(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        expectError(.shapeMismatch(op: "tripletLoss", detail: "z must be 2-D (2N × d) with features, got shape [5, 3]")) {
            _ = try tripletLoss(Tensor.zeros([5, 3], on: device))
        }
        expectError(.shapeMismatch(op: "tripletLoss", detail: "z must be 2-D (2N × d) with features, got shape [8]")) {
            _ = try tripletLoss(Tensor.zeros([8], on: device))
        }
        expectError(.invalidArgument("tripletLoss: N = 1 image(s); at least 2 are needed for a negative")) {
            _ = try tripletLoss(Tensor.zeros([2, 3], on: device))
        }
        for margin in [Float.nan, -0.1, .infinity] {
            expectError(.invalidArgument("tripletLoss: the margin must be finite and ≥ 0, got \(margin)")) {
                _ = try tripletLoss(Tensor.zeros([4, 3], on: device), margin: margin)
            }
        }
        var z = randomValues(4 * 3, seed: 72)
        z[5] = .nan
        let result = try tripletLoss(Tensor(z, shape: [4, 3], on: device))
        expectError(.invalidArgument("tripletLoss: z[1, 2] is nan; the input must be finite")) { _ = try result.value() }
    }
}
