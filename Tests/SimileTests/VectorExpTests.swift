import Foundation
import Testing
@testable import Simile

@Suite struct VectorExpTests {
    @Test("exp16 matches libm's exp to float precision over the range the losses use")
    func accuracy() {
        var worst = 0.0
        var x: Float = -87
        while x + 15 * 0.0061 <= 88 {
            let lanes = SIMD16<Float>((0..<16).map { x + Float($0) * 0.0061 })
            let result = exp16(lanes)
            for lane in 0..<16 {
                let expected = exp(Double(lanes[lane]))
                worst = max(worst, abs(Double(result[lane]) - expected) / expected)
            }
            x += 0.0977
        }
        #expect(worst < 4e-7, "max relative error \(worst)")
    }

    @Test("exp16 is 0 below the range and at −∞ (a masked logit), not NaN, and exact at 0")
    func edges() {
        #expect(exp16(SIMD16<Float>(repeating: -.infinity)) == SIMD16<Float>(repeating: 0))
        #expect(exp16(SIMD16<Float>(repeating: -87.5))[0] == 0)
        #expect(exp16(SIMD16<Float>(repeating: 0))[3] == 1)
        #expect(exp16(SIMD16<Float>(repeating: .nan))[0] < 1e-37)
    }
}
