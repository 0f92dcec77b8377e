import Simile

extension BenchKernel {
    /// InfoNCE (forward + backward in one call, at the default τ = 0.1) or the nearest-neighbour search of N = n rows
    /// of d = 128 features against banks of K = 4096 and 65536 rows. Flops count the products actually made: InfoNCE
    /// makes each logit tile once and multiplies it back into the bank for the gradient (no tile is recomputed:
    /// 2·N·K·d + 2·N·K·d); the search makes each similarity once (2·N·K·d). The exp, max and normalisation work is
    /// not counted.
    /// On OpenCL the device type's preferred variant runs.
    func memoryBankCases(n: Int, on device: Device) throws -> [BenchCase] {
        let d = 128, word = 4.0
        let queries = try Tensor.normal([n, d], seed: 4, on: device)
        let keys = try Tensor.normal([n, d], seed: 5, on: device)
        return try [4096, 65536].map { k in
            let bank = try Tensor.normal([k, d], seed: 6, on: device)
            let size = "N=\(n),K=\(k),d=\(d)"
            let variant = device.openCLInfo.map { (GemmKernel.preferred(for: $0.type), $0) }
            switch self {
            case .infonce:
                let extra = variant.map { infoNCELossExtraBytes(rows: n, bankRows: k, features: d, kernel: $0.0, on: $0.1) }
                    ?? infoNCELossExtraBytes(rows: n, bankRows: k, features: d)
                return BenchCase(kernel: rawValue, size: size, flops: 4 * Double(n) * Double(k) * Double(d),
                                 bytes: word * Double(4 * n + k) * Double(d), extraBytes: extra) {
                    _ = try infoNCELoss(queries: queries, keys: keys, bank: bank).value()
                }
            default:
                let extra = variant.map {
                    nearestNeighboursExtraBytes(rows: n, supportRows: k, features: d, kernel: $0.0, on: $0.1)
                } ?? nearestNeighboursExtraBytes(rows: n, supportRows: k, features: d)
                return BenchCase(kernel: rawValue, size: size, flops: 2 * Double(n) * Double(k) * Double(d),
                                 bytes: word * Double(n + k) * Double(d), extraBytes: extra) {
                    _ = try nearestNeighbours(of: queries, in: bank)
                }
            }
        }
    }
}
