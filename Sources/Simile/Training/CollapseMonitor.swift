/// The collapse monitor (lightly's `std_of_l2_normalized`, from the SimSiam paper's figure 2): the standard
/// deviation over the batch of the L2-normalised projector outputs, averaged over their d dimensions. Unit vectors
/// spread over the sphere give about 1/√d; a collapsed method, whose outputs all point one way, gives 0. Every step
/// measures it (`normalizedEmbeddingStd`, on the device, read with the loss), metrics.csv keeps each epoch's mean,
/// and the progress line warns below `threshold` = 0.1/√d, a tenth of the healthy value.
public struct CollapseMonitor: Sendable {
    /// d, the projector's output width.
    public let dimensions: Int

    public init(dimensions: Int) { self.dimensions = dimensions }

    /// 1/√d: the statistic of healthy embeddings.
    public var healthy: Float { 1 / Float(dimensions).squareRoot() }

    /// 0.1/√d: below it the embeddings are taken to be collapsing.
    public var threshold: Float { 0.1 * healthy }

    /// The statistic of `embeddings` [N, d], as a one-element tensor on their device.
    func statistic(of embeddings: Tensor) throws -> Tensor { try normalizedEmbeddingStd(embeddings) }

    /// Whether `value` warns of collapse.
    public func isCollapsing(_ value: Float) -> Bool { value < threshold }

    /// Whether an epoch's mean `loss` sits at a method's collapsed loss (`SelfSupervisedMethod.collapsedLoss`), within
    /// 0.1% of it: a collapse the embeddings' spread can miss (SwAV's uniform predictions over its prototypes).
    public func isStuck(loss: Float, at collapsed: Float?) -> Bool {
        guard let collapsed else { return false }
        return abs(loss - collapsed) <= 1e-3 * abs(collapsed)
    }
}
