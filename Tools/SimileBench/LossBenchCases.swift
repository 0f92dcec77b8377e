import Simile

extension BenchKernel {
    /// Forward + backward of a contrastive loss on 2N × 128 embeddings, for M = 2N anchors, at τ = 0.1 (the
    /// fixed shift by 1/τ: exact from τ = 0.025 up) and at τ = 0.01 (each row shifted by its own maximum:
    /// the CPU's online rescale, OpenCL's extra max pass). The flop count is the CPU path's for both
    /// backends, so GFLOP/s compare as time does: it makes the symmetric matrix's upper tiles twice (forward,
    /// then recomputed: 2·M²·d) and multiplies them by U both ways (2·M²·d), 4·M²·d in all. The OpenCL
    /// kernels give every row block all its columns and so execute 6·M²·d (8·M²·d with the max pass).
    /// Extra bytes: on the CPU measured (the host memory one call holds at its peak beyond its gradient,
    /// from a run before the timed ones); on OpenCL the device buffers the launcher allocates, counted.
    func lossCases(_ method: ContrastiveMethod, n: Int, on device: Device) throws -> [BenchCase] {
        let d = 128, m = 2 * n
        let z = try Tensor.normal([m, d], seed: 3, on: device)
        return try [Float(0.1), 0.01].map { temperature in
            let extraBytes = try device.openCLInfo.map { contrastiveLossOpenCLExtraBytes(rows: m, features: d, on: $0) }
                ?? HostMemoryMeter.measure { try contrastiveLoss(z, method: method, temperature: temperature).value() }
                    .usage.scratchBytes
            return BenchCase(kernel: rawValue, size: "N=\(n),d=\(d),τ=\(temperature)", flops: 4 * Double(m) * Double(m * d),
                             bytes: 4 * 4 * Double(m * d), extraBytes: extraBytes) {
                _ = try contrastiveLoss(z, method: method, temperature: temperature).value()
            }
        }
    }

    /// Forward + backward of the triplet loss on 2N × 128 embeddings (M = 2N anchors), each mining. Flops are the
    /// M² similarities' 2·M²·d; bytes read z and write its gradient, as `lossCases` counts them, so the two compare
    /// in one run. Extra bytes: measured on the CPU; on OpenCL the launcher's buffers (unit rows, their norms, the
    /// mined rows, similarities, weights and the unit rows' gradient), counted.
    func tripletCases(n: Int, on device: Device) throws -> [BenchCase] {
        let d = 128, m = 2 * n
        let z = try Tensor.normal([m, d], seed: 3, on: device)
        return try TripletMining.allCases.map { mining in
            let extraBytes = try device.openCLInfo == nil
                ? HostMemoryMeter.measure { try tripletLoss(z, mining: mining).value() }.usage.scratchBytes
                : 4 * (2 * m * d + 5 * m)
            return BenchCase(kernel: rawValue, size: "N=\(n),d=\(d),\(mining.rawValue)", flops: 2 * Double(m) * Double(m * d),
                             bytes: 4 * 4 * Double(m * d), extraBytes: extraBytes) {
                _ = try tripletLoss(z, mining: mining).value()
            }
        }
    }
}
