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

extension BenchKernel {
    /// `bank-loss`: InstDisc's two losses for n queries of d = 128 against a bank of 10,000 rows (the Fashion-MNIST
    /// protocol's) and 65,536, forward and backward: the softmax over the whole bank (`bankSoftmaxLoss`, 4·n·K·d
    /// flops as `infonce`) and NCE against 4096 drawn rows (`bankNCELoss`: two GEMMs, 4·n·4096·d), for their ratio
    /// in one run. Bytes: the queries read and their gradient written, and the rows each reads (the whole bank, or the
    /// drawn rows gathered and read back). Extra bytes: NCE's n × 4096 scores and the gathered rows; the softmax's
    /// as `infonce` counts them.
    func bankLossCases(n: Int, on device: Device) throws -> [BenchCase] {
        let (d, noise, word) = (128, 4096, 4.0)
        let queries = try Tensor.normal([n, d], seed: 7, on: device)
        return try [10_000, 65_536].flatMap { k -> [BenchCase] in
            let bank = try Simile.l2Normalize(Tensor.normal([k, d], seed: 8, on: device)).y
            var generator = SeededGenerator(seed: 9)
            func draw(_ count: Int) throws -> RowIndices {
                try RowIndices((0..<count).map { _ in Int.random(in: 0..<k, using: &generator) }, rows: k, on: device)
            }
            let (targets, negatives) = (try draw(n), try draw(noise))
            let normaliser = try nceNormaliser(on: device)
            let variant = device.openCLInfo.map { (GemmKernel.preferred(for: $0.type), $0) }
            let softmaxExtra = variant.map {
                infoNCELossExtraBytes(rows: n, bankRows: k, features: d, kernel: $0.0, on: $0.1)
            } ?? infoNCELossExtraBytes(rows: n, bankRows: k, features: d)
            return [
                BenchCase(kernel: "\(rawValue)[softmax]", size: "N=\(n),K=\(k),d=\(d)", flops: 4 * Double(n * k * d),
                          bytes: word * Double(2 * n + k) * Double(d), extraBytes: softmaxExtra) {
                    _ = try bankSoftmaxLoss(queries: queries, bank: bank, targets: targets).value()
                },
                BenchCase(kernel: "\(rawValue)[nce]", size: "N=\(n),K=\(k),noise=\(noise),d=\(d)",
                          flops: 4 * Double(n * noise * d), bytes: word * Double(2 * n + 3 * noise) * Double(d),
                          extraBytes: 4 * (2 * n * noise + 2 * noise * d + 4 * n * d)) {
                    _ = try bankNCELoss(queries: queries, bank: bank, targets: targets, negatives: negatives,
                                        normaliser: normaliser).value()
                },
            ]
        }
    }
}
