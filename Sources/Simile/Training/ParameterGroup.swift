/// Which parameters a group takes, by their torchvision-style name (`layer1.0.bn1.weight`, `fc.bias`).
public enum NamePattern: Sendable, Equatable {
    case suffix(String)
    case contains(String)
    indirect case anyOf([NamePattern])

    /// The names LARS leaves out of adaptation and weight decay: biases and batch-norm parameters
    /// (names ending in `.bias`, or containing `bn` or `downsample.1`, the shortcut's batch norm).
    public static let biasAndBatchNorm = NamePattern.anyOf([.suffix(".bias"), .contains("bn"), .contains("downsample.1")])

    public func matches(_ name: String) -> Bool {
        switch self {
        case .suffix(let suffix): return name.hasSuffix(suffix)
        case .contains(let part): return name.contains(part)
        case .anyOf(let patterns): return patterns.contains { $0.matches(name) }
        }
    }
}

/// Hyper-parameters for the parameters whose names match `pattern`. A parameter joins the first
/// group that matches it, else the optimiser's default group (its own lr and wd, adapted).
public struct ParameterGroup: Sendable, Equatable {
    public var pattern: NamePattern
    public var learningRate: Float
    public var weightDecay: Float
    /// LARS only: leave these parameters' updates unscaled (local lr 1).
    public var excludedFromAdaptation: Bool

    public init(_ pattern: NamePattern, learningRate: Float, weightDecay: Float = 0, excludedFromAdaptation: Bool = false) {
        self.pattern = pattern
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.excludedFromAdaptation = excludedFromAdaptation
    }

    /// SimCLR's LARS exclusion: biases and batch-norm parameters at `learningRate`, without weight
    /// decay or adaptation.
    public static func larsExcluded(learningRate: Float) -> ParameterGroup {
        ParameterGroup(.biasAndBatchNorm, learningRate: learningRate, weightDecay: 0, excludedFromAdaptation: true)
    }

    func validate() throws {
        try requireNonNegative("learning rate", learningRate)
        try requireNonNegative("weight decay", weightDecay)
    }
}
