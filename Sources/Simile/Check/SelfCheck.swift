/// A quick end-to-end check of one device: every op on odd-sized inputs against `Reference`.
/// `simile check` and `make demo` run it on every backend.
public enum SelfCheck {
    public struct Report: Sendable {
        public let name: String
        public let maxRelativeError: Double
        public let tolerance: Double
        public var passed: Bool { maxRelativeError <= tolerance }
    }

    public static func run(on device: Device) throws -> [Report] {
        var reports: [Report] = []
        let (m, n, k) = (67, 129, 257)
        // On OpenCL each variant with its built-in parameters, and (nil) the device's own choice: tuned when
        // `simile tune` has tuned it.
        let kernels: [GemmKernel?] = device.openCLInfo == nil ? [nil] : [nil] + GemmKernel.allCases
        var tuned = false
        if case .opencl(let cl) = device.backend { tuned = !cl.tuning.parameters.isEmpty }
        for kernel in kernels {
            for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
                let aShape = transposeA ? [k, m] : [m, k], bShape = transposeB ? [n, k] : [k, n]
                let a = try Tensor.uniform(aShape, low: -1, high: 1, seed: 1, on: device)
                let b = try Tensor.uniform(bShape, low: -1, high: 1, seed: 2, on: device)
                let c = try Tensor.uniform([m, n], low: -1, high: 1, seed: 3, on: device)
                let expected = Reference.gemm(try a.doubles(), aShape, try b.doubles(), bShape, try c.doubles(),
                                              transposeA: transposeA, transposeB: transposeB, alpha: 1.5, beta: 0.5)
                try gemm(a, b, into: c, transposeA: transposeA, transposeB: transposeB, alpha: 1.5, beta: 0.5,
                         kernel: kernel)
                let label = "gemm\(kernel.map { " \($0.rawValue)" } ?? (tuned ? " tuned" : "")) "
                    + "\(transposeA ? "T" : "N")\(transposeB ? "T" : "N") \(m)x\(n)x\(k)"
                reports.append(Report(name: label, maxRelativeError: Reference.maxRelativeError(try c.toArray(), expected),
                                      tolerance: 1e-5))
            }
        }
        let x = try Tensor.normal([33, 257], seed: 4, on: device)
        let (y, _) = try l2Normalize(x)
        let expected = Reference.l2Normalize(try x.doubles(), rows: 33, cols: 257, eps: 1e-12).y
        reports.append(Report(name: "l2Normalize 33x257", maxRelativeError: Reference.maxRelativeError(try y.toArray(), expected),
                              tolerance: 1e-5))
        let total = try sum(x).toArray()
        let expectedTotal = try x.doubles().reduce(0, +)
        reports.append(Report(name: "sum 33x257", maxRelativeError: Reference.maxRelativeError(total, [expectedTotal]),
                              tolerance: 1e-4))
        return reports + (try layerOpReports(on: device))
    }
}

extension Tensor {
    /// The elements widened to Double, for comparison with `Reference`.
    public func doubles() throws -> [Double] { try toArray().map(Double.init) }
}
