import Foundation
import Testing
@testable import Simile

/// SwAV's Sinkhorn–Knopp codes against lightly's definition in float64.
@Suite struct SinkhornTests {
    @Test("3 rounds match lightly's sinkhorn in float64, at ε = 0.05 and at ε = 0.002 where exp needs the shift",
          arguments: TestBackend.allCases, [Float(0.05), 0.002])
    func matchesReference(backend: TestBackend, epsilon: Float) throws {
        guard let device = try backend.open() else { return }
        let (b, k) = (33, 70)
        let scores = randomValues(b * k, seed: 50)
        let codes = try sinkhorn(Tensor(scores, shape: [b, k], on: device), epsilon: epsilon, iterations: 3)
        let expected = Reference.sinkhorn(scores.map(Double.init), samples: b, prototypes: k,
                                          epsilon: Double(epsilon), iterations: 3, shift: true)
        // Codes are about 1/K each; scaled by K they are compared near 1.
        expectClose(try codes.toArray().map { $0 * Float(k) }, expected.map { $0 * Double(k) }, tolerance: 2e-5,
                    "\(backend) ε \(epsilon)")
        #expect(try codes.toArray().allSatisfy(\.isFinite))
    }

    @Test("the shift changes nothing but the range: the float64 reference with and without it agree")
    func shiftIsExact() {
        let (b, k) = (9, 12)
        let scores = randomValues(b * k, seed: 51).map(Double.init)
        let shifted = Reference.sinkhorn(scores, samples: b, prototypes: k, epsilon: 0.05, iterations: 3, shift: true)
        let plain = Reference.sinkhorn(scores, samples: b, prototypes: k, epsilon: 0.05, iterations: 3, shift: false)
        #expect(zip(shifted, plain).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($1)) })
    }

    @Test("enough rounds give each sample codes summing to 1 and each prototype B/K of them", arguments: TestBackend.allCases)
    func equipartition(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let (b, k) = (40, 16)
        let codes = try sinkhorn(Tensor(randomValues(b * k, seed: 52), shape: [b, k], on: device), epsilon: 0.5,
                                 iterations: 200).toArray()
        for i in 0..<b {
            #expect(abs((0..<k).reduce(0) { $0 + codes[i * k + $1] } - 1) <= 1e-5, "sample \(i)")
        }
        for p in 0..<k {
            let share = (0..<b).reduce(0) { $0 + codes[$1 * k + p] } * Float(k) / Float(b)
            #expect(abs(share - 1) <= 1e-5, "prototype \(p): \(share)")
        }
    }

    @Test("bad input is one clear error")
    func badInput() throws {
        let scores = try Tensor.zeros([4, 3], on: .cpu)
        for epsilon in [Float(0), -1, .nan, .infinity] {
            expectError(.invalidArgument("sinkhorn: epsilon must be a finite number > 0, got \(epsilon)")) {
                _ = try sinkhorn(scores, epsilon: epsilon)
            }
        }
        for iterations in [0, -3, 10_001] {
            expectError(.invalidArgument("sinkhorn: iterations must be 1 to 10000, got \(iterations)")) {
                _ = try sinkhorn(scores, iterations: iterations)
            }
        }
        #expect(throws: SimileError.self) { _ = try sinkhorn(Tensor.zeros([12], on: .cpu)) }
        var values = [Float](repeating: 0, count: 12)
        values[7] = .nan
        #expect(throws: SimileError.self) { _ = try sinkhorn(Tensor(values, shape: [4, 3], on: .cpu)) }
        #expect(try sinkhorn(Tensor.zeros([0, 3], on: .cpu)).shape == [0, 3])
    }
}
