/// What kind of GEMM a shape is, for tuning: parameters that suit one kind may starve the other.
public enum GemmShapeClass: String, CaseIterable, Codable, Sendable {
    /// M×N is large beside K: a convolution's forward and input gradient, the linear layers. The grid fills the
    /// device from the tiles of C alone.
    case wide
    /// K is long beside M and N (at least 4× the larger): a convolution's weight gradient, which sums over every
    /// output pixel of the batch into a small filter matrix, and needs split-K to occupy the device.
    case longK = "long-k"

    public init(m: Int, n: Int, k: Int) {
        self = k >= 4 * max(m, n) ? .longK : .wide
    }
}

/// The GEMM parameters a device uses per shape class: the winners of `simile tune` where its cache has them
/// (GemmTuningCache.swift), the device type's defaults elsewhere.
public struct GemmTuning: Sendable, Equatable {
    public var parameters: [GemmShapeClass: GemmParameters]

    public init(parameters: [GemmShapeClass: GemmParameters] = [:]) {
        self.parameters = parameters
    }
}
