import CBLAS

/// `cblas_sgemm` with the same arguments, and while a trace records (`TraceRecorder`) a span "sgemm SITE" of the
/// calling thread carrying M, N, K, its 2·M·N·K flops and the bytes of A, B and C, so that the CPU backend's BLAS
/// calls stand in a trace (and its kernel table and roofline) where an OpenCL device's kernels would. When no trace
/// records, the cost beyond the call is one atomic load.
@inline(__always)
func tracedSgemm(_ site: StaticString, _ order: CBLAS_ORDER, _ transposeA: CBLAS_TRANSPOSE,
                 _ transposeB: CBLAS_TRANSPOSE, _ m: Int32, _ n: Int32, _ k: Int32, _ alpha: Float,
                 _ a: UnsafePointer<Float>, _ lda: Int32, _ b: UnsafePointer<Float>, _ ldb: Int32, _ beta: Float,
                 _ c: UnsafeMutablePointer<Float>, _ ldc: Int32) {
    let (rows, columns, depth) = (Int(m), Int(n), Int(k))
    TraceRecorder.span("sgemm \(site)", .blas, args: [
        "device": .string("cpu"), "m": .int(rows), "n": .int(columns), "k": .int(depth),
        "flops": .int(2 * rows * columns * depth),
        "bytes": .int(4 * (rows * depth + depth * columns + rows * columns)),
    ]) {
        cblas_sgemm(order, transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }
}
