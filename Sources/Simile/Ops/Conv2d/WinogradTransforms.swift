/// The tile transforms of the weight gradient's Winograd F(2×2, 3×3) (WinogradWeightGradientCPU.swift has the
/// matrices), eight tiles side by side, one SIMD lane per tile: the eight tiles of a tile row's chunk read the even
/// and odd lanes of two 16-float loads.

/// One tile row of V: the windows of tile row `ty` of the zero-padded plane (`height` × `width`, padding p)
/// transformed, entry ξ of tile `t` of the row stored at `out` + ξ·planeStride + t. `rows` is scratch of
/// 5·paddedWidth floats, zero when first used, that only this call's thread touches (its last row stays zero).
func transformWindows(_ plane: UnsafePointer<Float>, height: Int, width: Int, padding p: Int, tileRow ty: Int,
                      plan: Winograd2Plan, rows: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>,
                      planeStride: Int) {
    let zeroRow = UnsafePointer(rows + 4 * plan.paddedWidth)
    func row(_ i: Int) -> UnsafePointer<Float> {
        let ih = 2 * ty - p + i
        guard ih >= 0, ih < height else { return zeroRow }
        (rows + i * plan.paddedWidth + p).update(from: plane + ih * width, count: width)
        return UnsafePointer(rows + i * plan.paddedWidth)
    }
    let window = (row(0), row(1), row(2), row(3))
    for chunk in 0..<plan.chunks {
        inputTransform(window, at: 16 * chunk, into: out + 8 * chunk, planeStride: planeStride,
                       lanes: min(8, plan.tilesX - 8 * chunk))
    }
}

/// Bᵀ d B for eight tiles side by side: `window` holds the tiles' four zero-padded input rows, tile l's window
/// starting at column `column` + 2l. Entry ξ of the result goes to `out` + ξ·planeStride, lanes 0..<lanes.
@inline(__always)
private func inputTransform(_ window: Window, at column: Int, into out: UnsafeMutablePointer<Float>,
                            planeStride: Int, lanes: Int) {
    /// Row i of d times B: [d0 − d2, d1 + d2, d2 − d1, d1 − d3], with d_j the lanes' entries j of the row.
    func rowTimesB(_ row: UnsafePointer<Float>) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let a = UnsafeRawPointer(row + column).loadUnaligned(as: SIMD16<Float>.self)
        let b = UnsafeRawPointer(row + column + 2).loadUnaligned(as: SIMD16<Float>.self)
        let (d0, d1, d2, d3) = (a.evenHalf, a.oddHalf, b.evenHalf, b.oddHalf)
        return (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
    }
    let (e0, e1, e2, e3) = (rowTimesB(window.0), rowTimesB(window.1), rowTimesB(window.2), rowTimesB(window.3))
    /// Bᵀ applied to column j (e0j, e1j, e2j, e3j), stored as entries 4i + j.
    func storeColumn(_ j: Int, _ c0: SIMD8<Float>, _ c1: SIMD8<Float>, _ c2: SIMD8<Float>, _ c3: SIMD8<Float>) {
        store(c0 - c2, to: out + j * planeStride, lanes: lanes)
        store(c1 + c2, to: out + (4 + j) * planeStride, lanes: lanes)
        store(c2 - c1, to: out + (8 + j) * planeStride, lanes: lanes)
        store(c1 - c3, to: out + (12 + j) * planeStride, lanes: lanes)
    }
    storeColumn(0, e0.0, e1.0, e2.0, e3.0)
    storeColumn(1, e0.1, e1.1, e2.1, e3.1)
    storeColumn(2, e0.2, e1.2, e2.2, e3.2)
    storeColumn(3, e0.3, e1.3, e2.3, e3.3)
}

/// The four input rows of a tile row's windows.
private typealias Window = (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>)

@inline(__always)
private func store(_ value: SIMD8<Float>, to out: UnsafeMutablePointer<Float>, lanes: Int) {
    if lanes == 8 {
        UnsafeMutableRawPointer(out).storeBytes(of: value, as: SIMD8<Float>.self)
    } else {
        for lane in 0..<lanes { out[lane] = value[lane] }
    }
}

/// A dy Aᵀ for eight tiles side by side, the adjoint of the output transform y = Aᵀ m A: `upper` and `lower` are
/// the tiles' two zero-padded rows of dy (tile l's 2×2 block at columns `column` + 2l), entry ξ = 4i + j of the 4×4
/// result goes to `out` + ξ·planeStride. A row [a, b] of dy times Aᵀ is [a, a + b, a − b, −b]; A then
/// combines the two such rows R0, R1 into R0, R0 + R1, R0 − R1, −R1.
@inline(__always)
func outputGradientTransform(_ upper: UnsafePointer<Float>, _ lower: UnsafePointer<Float>, at column: Int,
                             into out: UnsafeMutablePointer<Float>, planeStride: Int, lanes: Int) {
    func rowTimesAT(_ row: UnsafePointer<Float>) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let values = UnsafeRawPointer(row + column).loadUnaligned(as: SIMD16<Float>.self)
        let (a, b) = (values.evenHalf, values.oddHalf)
        return (a, a + b, a - b, -b)
    }
    let (r0, r1) = (rowTimesAT(upper), rowTimesAT(lower))
    func storeColumn(_ j: Int, _ top: SIMD8<Float>, _ bottom: SIMD8<Float>) {
        store(top, to: out + j * planeStride, lanes: lanes)
        store(top + bottom, to: out + (4 + j) * planeStride, lanes: lanes)
        store(top - bottom, to: out + (8 + j) * planeStride, lanes: lanes)
        store(-bottom, to: out + (12 + j) * planeStride, lanes: lanes)
    }
    storeColumn(0, r0.0, r1.0)
    storeColumn(1, r0.1, r1.1)
    storeColumn(2, r0.2, r1.2)
    storeColumn(3, r0.3, r1.3)
}

/// Gᵀ u G, the adjoint of the filter transform U = G g Gᵀ: the 3×3 filter gradient from the 4×4 gradient `u`
/// of its transformed filter (entry ξ = 4i + j at `u` + ξ·stride), written row-major into `out`. Gᵀ maps a
/// 4-vector t to [t0 + (t1 + t2)/2, (t1 − t2)/2, (t1 + t2)/2 + t3].
func filterGradientTransform(_ u: UnsafePointer<Float>, stride: Int, into out: UnsafeMutablePointer<Float>) {
    func timesG(_ t: SIMD4<Float>) -> SIMD4<Float> {
        SIMD4(t.x + (t.y + t.z) / 2, (t.y - t.z) / 2, (t.y + t.z) / 2 + t.w, 0)
    }
    func row(_ i: Int) -> SIMD4<Float> { timesG(SIMD4(u[4 * i * stride], u[(4 * i + 1) * stride],
                                                      u[(4 * i + 2) * stride], u[(4 * i + 3) * stride])) }
    let (r0, r1, r2, r3) = (row(0), row(1), row(2), row(3))
    let (top, middle, bottom) = (r0 + (r1 + r2) / 2, (r1 - r2) / 2, (r1 + r2) / 2 + r3)
    for j in 0..<3 {
        out[j] = top[j]
        out[3 + j] = middle[j]
        out[6 + j] = bottom[j]
    }
}
