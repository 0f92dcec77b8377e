/// Hyper-parameters for the parameters whose role is in `roles` or whose name starts with one of `prefixes`. A
/// parameter joins the first group that takes it, else the optimiser's default group (its own lr and wd, adapted).
public struct ParameterGroup: Sendable, Equatable {
    public var roles: Set<ParameterRole>
    /// Name prefixes ("predictor.") of the parameters the group takes whatever their role.
    public var prefixes: [String]
    public var learningRate: Float
    /// The schedule leaves this group's learning rate as set (`Optimizer.setLearningRate` without a group):
    /// SimSiam's predictor.
    public var fixedLearningRate: Bool
    public var weightDecay: Float
    /// LARS only: leave these parameters' updates unscaled (local lr 1).
    public var excludedFromAdaptation: Bool

    public init(_ roles: Set<ParameterRole>, prefixes: [String] = [], learningRate: Float, weightDecay: Float = 0,
                excludedFromAdaptation: Bool = false, fixedLearningRate: Bool = false) {
        self.roles = roles
        self.prefixes = prefixes
        self.learningRate = learningRate
        self.fixedLearningRate = fixedLearningRate
        self.weightDecay = weightDecay
        self.excludedFromAdaptation = excludedFromAdaptation
    }

    /// SimCLR's LARS exclusion: biases and normalisation scales and shifts (wherever they are, the projection
    /// head's batch norm too) at `learningRate`, without weight decay or adaptation.
    public static func larsExcluded(learningRate: Float) -> ParameterGroup {
        ParameterGroup([.bias, .normScale, .normShift], learningRate: learningRate, weightDecay: 0,
                       excludedFromAdaptation: true)
    }

    /// Whether the group takes the parameter `name` of `role`.
    func takes(_ name: String, _ role: ParameterRole) -> Bool {
        roles.contains(role) || prefixes.contains { name.hasPrefix($0) }
    }

    func validate() throws {
        try requireNonNegative("learning rate", learningRate)
        try requireNonNegative("weight decay", weightDecay)
    }
}
