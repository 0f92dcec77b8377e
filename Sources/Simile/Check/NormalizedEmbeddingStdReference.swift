extension Reference {
    /// The collapse statistic of z (N × d), in float64: rows L2-normalised (û = u / max(‖u‖, 1e-12)), the unbiased
    /// standard deviation of each column over the rows, sqrt(Σ_i (û_ik − m_k)² / (N − 1)), averaged over the columns.
    public static func normalizedEmbeddingStd(_ z: [Double], rows n: Int, cols d: Int) -> Double {
        let units = l2Normalize(z, rows: n, cols: d, eps: 1e-12).y
        var total = 0.0
        for k in 0..<d {
            var mean = 0.0
            for i in 0..<n { mean += units[i * d + k] }
            mean /= Double(n)
            var squares = 0.0
            for i in 0..<n { squares += (units[i * d + k] - mean) * (units[i * d + k] - mean) }
            total += (squares / Double(n - 1)).squareRoot()
        }
        return total / Double(d)
    }
}
