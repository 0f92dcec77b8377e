import Foundation

/// Elementwise CPU loops, 16 lanes at a time. An op is a value of a concrete type, so generic
/// specialisation inlines it into the loop: no per-element indirect call, and the compiler emits
/// whole-register vector code.

protocol UnaryVectorOp {
    func callAsFunction(_ x: SIMD16<Float>) -> SIMD16<Float>
}

protocol BinaryVectorOp {
    func callAsFunction(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float>
}

extension CPUBackend {
    /// out[i] = op(x[i]) for i < count, split over cores in 16-aligned ranges.
    func map<Op: UnaryVectorOp>(_ op: Op, _ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        map(BinaryAdapter(op: op), x, x, into: out, count: count)
    }

    /// out[i] = op(a[i], b[i]) for i < count; `out` may be `a` or `b`.
    func map<Op: BinaryVectorOp>(_ op: Op, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                 into out: UnsafeMutablePointer<Float>, count: Int) {
        parallelFor(count, grain: 16) { range in
            var i = range.lowerBound
            while i + 16 <= range.upperBound {
                let result = op(UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self),
                                UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self))
                UnsafeMutableRawPointer(out + i).storeBytes(of: result, as: SIMD16<Float>.self)
                i += 16
            }
            guard i < range.upperBound else { return }
            var left = SIMD16<Float>(), right = SIMD16<Float>()
            for lane in 0..<(range.upperBound - i) {
                left[lane] = a[i + lane]
                right[lane] = b[i + lane]
            }
            let result = op(left, right)
            for lane in 0..<(range.upperBound - i) { out[i + lane] = result[lane] }
        }
    }
}

/// A unary op run by the binary loop (its second operand is ignored).
private struct BinaryAdapter<Op: UnaryVectorOp>: BinaryVectorOp {
    let op: Op
    @inline(__always)
    func callAsFunction(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { op(a) }
}

/// Σ values[0..<count], in sixteen float lanes (vectorised, and more accurate than one running sum).
func contiguousSum(_ values: UnsafePointer<Float>, count: Int) -> Float {
    laneSum(count) { UnsafeRawPointer(values + $0).loadUnaligned(as: SIMD16<Float>.self) } tail: { values[$0] }
}

/// Σ a[i]·b[i] for i < count, in sixteen float lanes.
func contiguousDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    laneSum(count) {
        UnsafeRawPointer(a + $0).loadUnaligned(as: SIMD16<Float>.self) * UnsafeRawPointer(b + $0).loadUnaligned(as: SIMD16<Float>.self)
    } tail: { a[$0] * b[$0] }
}

extension CPUBackend {
    /// Σ a[i]·b[i] over `count` elements, split over the cores; the partial sums are added in core order, so
    /// the result depends only on the machine's core count.
    func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        let ranges = count < Self.parallelThreshold ? [] : coreRanges(count, grain: 16)
        guard ranges.count > 1 else { return contiguousDot(a, b, count: count) }
        var partials = [Float](repeating: 0, count: ranges.count)
        partials.withUnsafeMutableBufferPointer { out in
            DispatchQueue.concurrentPerform(iterations: ranges.count) { k in
                out[k] = contiguousDot(a + ranges[k].lowerBound, b + ranges[k].lowerBound, count: ranges[k].count)
            }
        }
        return partials.reduce(0, +)
    }
}

/// Σ of `count` terms: `block(i)` gives terms i..<i+16 as a vector, `tail(i)` one leftover term.
@inline(__always)
func laneSum(_ count: Int, _ block: (Int) -> SIMD16<Float>, tail: (Int) -> Float) -> Float {
    var lanes = SIMD16<Float>()
    var i = 0
    while i + 16 <= count {
        lanes += block(i)
        i += 16
    }
    var total = lanes.sum()
    while i < count {
        total += tail(i)
        i += 1
    }
    return total
}
