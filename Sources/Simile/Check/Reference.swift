/// Plain float64 loops that define what each op computes. Tests, `simile check` and `simile-bench`
/// compare the backends against these; they favour obviousness over speed.
public enum Reference {
    /// alpha · op(A) · op(B) + beta · C for row-major A [ra, ca], B [rb, cb], C [m, n].
    public static func gemm(_ a: [Double], _ aShape: [Int], _ b: [Double], _ bShape: [Int], _ c: [Double],
                            transposeA: Bool, transposeB: Bool, alpha: Double, beta: Double) -> [Double] {
        let m = transposeA ? aShape[1] : aShape[0], k = transposeA ? aShape[0] : aShape[1]
        let n = transposeB ? bShape[0] : bShape[1]
        var out = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var dot = 0.0
                for p in 0..<k {
                    let aValue = transposeA ? a[p * aShape[1] + i] : a[i * aShape[1] + p]
                    let bValue = transposeB ? b[j * bShape[1] + p] : b[p * bShape[1] + j]
                    dot += aValue * bValue
                }
                out[i * n + j] = alpha * dot + (beta == 0 ? 0 : beta * c[i * n + j])
            }
        }
        return out
    }

    /// Sums of x viewed as [outer, n, inner] over the middle axis.
    public static func sumAxis(_ x: [Double], outer: Int, n: Int, inner: Int) -> [Double] {
        var out = [Double](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for j in 0..<n {
                for i in 0..<inner { out[o * inner + i] += x[(o * n + j) * inner + i] }
            }
        }
        return out
    }

    /// Row-wise x / max(‖x‖, eps) and the clamped norms.
    public static func l2Normalize(_ x: [Double], rows: Int, cols: Int, eps: Double) -> (y: [Double], norms: [Double]) {
        var y = x, norms = [Double](repeating: 0, count: rows)
        for r in 0..<rows {
            var squares = 0.0
            for c in 0..<cols { squares += x[r * cols + c] * x[r * cols + c] }
            norms[r] = max(squares.squareRoot(), eps)
            for c in 0..<cols { y[r * cols + c] = x[r * cols + c] / norms[r] }
        }
        return (y, norms)
    }

    /// The gradient of row-wise L2 normalisation with respect to x, given the upstream gradient dy.
    /// Derived directly: y_c = x_c / n with n = ‖x‖, so dx_j = dy_j / n − x_j (Σ_c dy_c x_c) / n³;
    /// where the norm is clamped to eps, n is a constant and dx = dy / eps.
    public static func l2NormalizeBackward(_ x: [Double], _ dy: [Double], rows: Int, cols: Int,
                                           eps: Double) -> [Double] {
        var dx = [Double](repeating: 0, count: x.count)
        for r in 0..<rows {
            var squares = 0.0, dot = 0.0
            for c in 0..<cols {
                squares += x[r * cols + c] * x[r * cols + c]
                dot += dy[r * cols + c] * x[r * cols + c]
            }
            let norm = squares.squareRoot()
            for c in 0..<cols {
                dx[r * cols + c] = norm > eps
                    ? dy[r * cols + c] / norm - x[r * cols + c] * dot / (norm * norm * norm)
                    : dy[r * cols + c] / eps
            }
        }
        return dx
    }

    /// The largest |actual − expected| / max(|expected|, floor) over all elements.
    public static func maxRelativeError(_ actual: [Float], _ expected: [Double], floor: Double = 1) -> Double {
        precondition(actual.count == expected.count, "comparing \(actual.count) values with \(expected.count)")
        var worst = 0.0
        for (value, reference) in zip(actual, expected) {
            let error = abs(Double(value) - reference) / max(abs(reference), floor)
            if !(error <= worst) { worst = error.isNaN ? .infinity : error }
        }
        return worst
    }
}
