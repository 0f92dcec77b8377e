/// The CPU paths of layer normalisation (see `layerNorm`): rows are split over the cores and each row's sums run
/// in sixteen float lanes (`laneSum`); the row stays in cache between its passes. The affine gradients sum over
/// rows, so they are split over columns instead, each core adding every row's slice of its columns.
extension CPUBackend {
    func layerNorm(_ x: Tensor, gamma: Tensor, beta: Tensor, rows: Int, columns d: Int, eps: Float, output: Tensor,
                   statistics: LayerNormStatistics) {
        let (source, target) = (UnsafePointer(x.hostPointer), output.hostPointer)
        let (scale, shift) = (UnsafePointer(gamma.hostPointer), UnsafePointer(beta.hostPointer))
        let (means, inverses) = (statistics.mean.hostPointer, statistics.inverseStd.hostPointer)
        parallelFor(rows, work: x.count) { range in
            for n in range {
                let row = source + n * d, out = target + n * d
                // The first value as a pivot, as layer_norm.cl takes it, so that a common offset cancels.
                let pivot = row[0]
                let mean = pivot + laneSum(d) {
                    UnsafeRawPointer(row + $0).loadUnaligned(as: SIMD16<Float>.self) - pivot
                } tail: { row[$0] - pivot } / Float(d)
                let squares = laneSum(d) {
                    let deviation = UnsafeRawPointer(row + $0).loadUnaligned(as: SIMD16<Float>.self) - mean
                    return deviation * deviation
                } tail: { (row[$0] - mean) * (row[$0] - mean) }
                let inverse = 1 / (squares / Float(d) + eps).squareRoot()
                for i in 0..<d { out[i] = (row[i] - mean) * inverse * scale[i] + shift[i] }
                (means[n], inverses[n]) = (mean, inverse)
            }
        }
    }

    func layerNormBackward(_ dy: Tensor, input x: Tensor, statistics: LayerNormStatistics, gamma: Tensor, rows: Int,
                           columns d: Int, gradients: (input: Tensor, gamma: Tensor, beta: Tensor)) {
        let (upstream, source) = (UnsafePointer(dy.hostPointer), UnsafePointer(x.hostPointer))
        let means = UnsafePointer(statistics.mean.hostPointer)
        let inverses = UnsafePointer(statistics.inverseStd.hostPointer)
        let scale = UnsafePointer(gamma.hostPointer), dx = gradients.input.hostPointer
        func load(_ pointer: UnsafePointer<Float>, _ i: Int) -> SIMD16<Float> {
            UnsafeRawPointer(pointer + i).loadUnaligned(as: SIMD16<Float>.self)
        }
        parallelFor(rows, work: x.count) { range in
            for n in range {
                let (row, dyRow, out) = (source + n * d, upstream + n * d, dx + n * d)
                let (mean, inverse) = (means[n], inverses[n])
                let gMean = contiguousDot(dyRow, scale, count: d) / Float(d)
                let gxMean = inverse / Float(d) * laneSum(d) {
                    load(dyRow, $0) * load(scale, $0) * (load(row, $0) - mean)
                } tail: { dyRow[$0] * scale[$0] * (row[$0] - mean) }
                for i in 0..<d {
                    out[i] = inverse * (dyRow[i] * scale[i] - gMean - (row[i] - mean) * inverse * gxMean)
                }
            }
        }
        let (dgamma, dbeta) = (gradients.gamma.hostPointer, gradients.beta.hostPointer)
        parallelFor(d, grain: 16, work: x.count) { columns in
            for n in 0..<rows {
                let (row, dyRow) = (source + n * d, upstream + n * d)
                let (mean, inverse) = (means[n], inverses[n])
                for i in columns {
                    dgamma[i] += dyRow[i] * (row[i] - mean) * inverse
                    dbeta[i] += dyRow[i]
                }
            }
        }
    }
}
