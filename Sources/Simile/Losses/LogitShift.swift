/// How the fused losses keep exp() in float range: the temperatures they accept, and when the fixed shift
/// by 1/τ is exact.
///
/// Every loss here is a log-sum-exp over logits s = cos/τ of unit rows, so s ≤ 1/τ. Each is evaluated as
/// log Σ exp(s − c) + c for a per-row shift c, which must lie at or above the row's largest term (so
/// nothing overflows) and not far above it (so the largest term does not underflow). Two shifts do that:
/// - the fixed shift c = 1/τ: every term lies in [e^(−2/τ), 1], so it needs no pass over the row first;
///   it is exact while every term is a normal float, that is e^(−2/τ) ≥ e^(−87) (FLT_MIN ≈ e^−87.3)
///   and so 1/Z ≤ e^(2/τ) stays finite. `fixedShiftIsExact` keeps a margin: 2/τ ≤ 80.
/// - the row's own maximum over its denominator (a max pass or an online max-and-rescale), exact at any
///   temperature. The contrastive losses and the CPU InfoNCE use it below `fixedShiftMinimumTemperature`;
///   the OpenCL InfoNCE uses a running shift at every τ, raised only when a logit passes it by 40 (so no
///   rescale happens for τ ≥ 0.05, where logits span at most 2/τ ≤ 40).
enum LogitShift {
    /// The smallest temperature that keeps the fixed shift exact: 2/τ ≤ 80, τ ≥ 0.025.
    static let fixedShiftMinimumTemperature: Float = 0.025

    /// The smallest temperature (and DCLW σ) accepted: 1/τ ≤ 1e30, so every logit, every loss term
    /// (≤ 2/τ + log M) and their sum over 2³¹ rows stay finite in float32.
    static let minimumTemperature: Float = 1e-30

    /// Whether the fixed shift 1/τ is exact at `temperature` (see above).
    static func fixedShiftIsExact(temperature: Float) -> Bool { temperature >= fixedShiftMinimumTemperature }

}

/// One clear error for a temperature or DCLW σ outside [1e-30, ∞), the range every loss computes exactly
/// (`LogitShift`). `name` says where the value came from: "contrastiveLoss: temperature", or a CLI option
/// such as "--temperature", so the library and the command line refuse the same values the same way.
public func validateTemperature(_ value: Float, name: String) throws {
    guard value.isFinite, value >= LogitShift.minimumTemperature else {
        throw SimileError.invalidArgument(
            "\(name) must be a finite number ≥ \(LogitShift.minimumTemperature) (smaller values overflow float32 "
            + "logits), got \(value)")
    }
}
