/// Hyper-parameters for the parameters whose role is in `roles`. A parameter joins the first group that
/// takes its role, else the optimiser's default group (its own lr and wd, adapted).
public struct ParameterGroup: Sendable, Equatable {
    public var roles: Set<ParameterRole>
    public var learningRate: Float
    public var weightDecay: Float
    /// LARS only: leave these parameters' updates unscaled (local lr 1).
    public var excludedFromAdaptation: Bool

    public init(_ roles: Set<ParameterRole>, learningRate: Float, weightDecay: Float = 0,
                excludedFromAdaptation: Bool = false) {
        self.roles = roles
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.excludedFromAdaptation = excludedFromAdaptation
    }

    /// SimCLR's LARS exclusion: biases and normalisation scales and shifts (wherever they are, the projection
    /// head's batch norm too) at `learningRate`, without weight decay or adaptation.
    public static func larsExcluded(learningRate: Float) -> ParameterGroup {
        ParameterGroup([.bias, .normScale, .normShift], learningRate: learningRate, weightDecay: 0,
                       excludedFromAdaptation: true)
    }

    func validate() throws {
        try requireNonNegative("learning rate", learningRate)
        try requireNonNegative("weight decay", weightDecay)
    }
}
