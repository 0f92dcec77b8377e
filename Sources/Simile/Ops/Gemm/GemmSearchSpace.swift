/// The parameters `simile tune` tries for the GEMM kernel family on a device (as CLBlast's tuner does for its
/// kernels): every compiled shape of each kernel that the device can run, and every split-K target.
/// Every configuration here must give float64-correct products (GemmTuningTests checks them all on small shapes),
/// so no tuned choice can be a wrong one.
public enum GemmSearchSpace {
    /// Split-K targets in waves of work-groups per compute unit (0: never split). Launch-time only: no recompile.
    public static let splitWaves = [0, 1, 2, 4, 8]

    /// The compiled shapes of `kernel` that a device with `limits` can run, its built-in defaults among them.
    /// - blocked: MR ∈ {4, 6, 8} rows by NR ∈ {VW, 2·VW} columns in the device's vector width VW (at most 16
    ///   accumulators: within the vector registers of AVX2's 16 and AVX-512's 32);
    /// - tiled: 32×32 to 128×128 tiles, 2×2 to 8×8 per work-item (64 to 256 work-items), staged 8, 16 or 32 deep.
    public static func compiled(_ kernel: GemmKernel, within limits: GemmDeviceLimits) -> [GemmParameters] {
        let candidates: [GemmParameters]
        switch kernel {
        case .blockedCPU:
            let width = limits.vectorWidth
            candidates = [4, 6, 8].flatMap { rows in
                [width, 2 * width].map { GemmParameters.blocked(rows: rows, columns: $0, vectorWidth: width, splitWaves: 0) }
            }
        case .tiledGPU:
            let shapes = [(32, 32, 2, 2), (64, 64, 4, 4), (64, 64, 8, 8), (128, 64, 8, 4), (64, 128, 4, 8), (128, 128, 8, 8)]
            candidates = shapes.flatMap { tm, tn, wm, wn in
                [8, 16, 32].map { GemmParameters.tiled(tile: (tm, tn), depth: $0, item: (wm, wn), splitWaves: 0) }
            }
        }
        return candidates.filter { $0.runs(within: limits) }
    }

    /// Whether `parameters` is a point of the search space of a device with `limits`: what a tuning cache may hold.
    public static func contains(_ parameters: GemmParameters, within limits: GemmDeviceLimits) -> Bool {
        splitWaves.contains(parameters.splitWaves)
            && compiled(parameters.kernel, within: limits).contains(parameters.compiled)
    }
}
