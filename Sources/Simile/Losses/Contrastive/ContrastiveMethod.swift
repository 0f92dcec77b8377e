/// The contrastive losses over two views z1, z2 of N images (M = 2N anchors, u = z/‖z‖ row-wise,
/// p(i) the other view of anchor i, s_ij = u_i·u_j/τ). Each is a mean over the M anchors, which is
/// lightly's convention of averaging both directions.
public enum ContrastiveMethod: String, CaseIterable, Sendable {
    /// SimCLR's NT-Xent: ℓ_i = −s_{i,p(i)} + log Σ_{k≠i} exp(s_ik).
    case ntxent
    /// Decoupled contrastive learning: the positive is removed from the denominator,
    /// ℓ_i = −s_{i,p(i)} + log Σ_{k∉{i,p(i)}} exp(s_ik).
    case dcl
    /// DCL with a weighted positive, ℓ_i = −w_i s_{i,p(i)} + log Σ_{k∉{i,p(i)}} exp(s_ik), where
    /// w = 2 − N·softmax_n(u1_n·u2_n / σ) is shared by both views of image n and carries no gradient.
    case dclw

    /// Whether the positive pair is left out of the log-sum-exp.
    var excludesPositive: Bool { self != .ntxent }
}
