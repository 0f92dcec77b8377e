/// The CPU negative-cosine loss: for each row i (in parallel over rows), p_i·p_i, z_j·z_j and p_i·z_j with
/// j = (i + offset) mod N, then the loss term ℓ_i into `terms` and dp_i into `gradient` in a second pass over the two
/// rows, which are still in cache (8 KiB each at d = 2048). The formulas are `negativeCosineLoss`'s.
func negativeCosineLossCPU(_ cpu: CPUBackend, predictions: Tensor, targets: Tensor, offset: Int,
                           form: NegativeCosineForm, terms: Tensor, gradient: Tensor) {
    let n = predictions.shape[0], d = predictions.shape[1], eps = negativeCosineEps
    let p = predictions.hostPointer, z = targets.hostPointer, term = terms.hostPointer, dp = gradient.hostPointer
    cpu.parallelFor(n, work: n * d) { range in
        for i in range {
            let j = (i + offset) % n
            let pRow = p + i * d, zRow = z + j * d, dpRow = dp + i * d
            let a = max(contiguousDot(pRow, pRow, count: d).squareRoot(), eps)
            let b = max(contiguousDot(zRow, zRow, count: d).squareRoot(), eps)
            // Divided one norm at a time: a·b may overflow or underflow where the cosine does not.
            let cosine = contiguousDot(pRow, zRow, count: d) / a / b
            term[i] = form.constant + form.slope * cosine
            let scale = form.slope / Float(n) / a, inverseB = 1 / b, projection = a > eps ? cosine / a : 0
            for x in 0..<d { dpRow[x] = scale * (zRow[x] * inverseB - projection * pRow[x]) }
        }
    }
}
