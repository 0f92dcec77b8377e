import CBLAS
import Foundation

/// This machine's OpenBLAS sgemm rate in GFLOP/s: the best of several 2048³ products (after warm-up),
/// the yardstick every kernel is reported against.
func measureSgemmPeak(side n: Int = 2048, repeats: Int = 5) -> Double {
    let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
    var c = [Float](repeating: 0, count: n * n)
    var best = 0.0
    for run in 0..<(repeats + 1) {
        let start = DispatchTime.now().uptimeNanoseconds
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b, Int32(n),
                    0, &c, Int32(n))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        if run > 0 { best = max(best, 2 * Double(n * n * n) / seconds * 1e-9) }
    }
    return best
}
