/// exp(x) on sixteen lanes, for the softmax-style loops (the scalar libm call would dominate them).
///
/// Range reduction x = n·ln2 + r with |r| ≤ ln2/2 (n rounded by adding 1.5·2²³, whose float bit pattern
/// then holds n in its low bits), a degree-7 Taylor polynomial for e^r (relative error < 1e-8 there),
/// and 2ⁿ built from its exponent bits. Inputs below −87 (−∞ included: a masked logit) give 0, as the
/// next power of two down would leave the normal floats; inputs above 88 are clamped there (exp(88) is
/// near the float maximum, and larger ones would overflow anyway).
@inline(__always)
func exp16(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let lower = SIMD16<Float>(repeating: -87), upper = SIMD16<Float>(repeating: 88)
    let clamped = x.replacing(with: lower, where: .!(x .>= lower)).replacing(with: upper, where: x .> upper)
    let magic = SIMD16<Float>(repeating: 12_582_912)
    let shifted = clamped * 1.442_695_04 + magic
    let n = shifted - magic
    let r = clamped - n * 0.693_145_75 - n * 1.428_606_8e-06
    var p = SIMD16<Float>(repeating: 1.0 / 5040)
    p = p * r + 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let exponent = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000 &+ 127
    return (p * unsafeBitCast(exponent &<< 23, to: SIMD16<Float>.self)).replacing(with: 0, where: x .< lower)
}
