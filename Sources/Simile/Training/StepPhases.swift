/// The phases of one training step, in order: making the batch's views, the forward pass through the encoder and
/// the method's networks, the loss, the backward pass, and the optimiser's step with the method's update.
public enum StepPhase: String, CaseIterable, Sendable {
    case data, forward, loss, backward, optimizer
}

/// Told by a training step each time one of its phases has been enqueued. A step run for training is given
/// `.none`, which does nothing, so that it never waits for its device; `simile-bench --kernel train-step` gives an
/// observer that waits for the device and reads the clock, which gives each phase's time at the cost of the overlap
/// between phases (the bench times the undisturbed step separately).
public struct StepPhaseObserver {
    private let ended: ((StepPhase) throws -> Void)?

    public static let none = StepPhaseObserver(nil)

    public init(_ ended: ((StepPhase) throws -> Void)?) { self.ended = ended }

    /// Reports that `phase`'s work has all been enqueued.
    public func end(_ phase: StepPhase) throws { try ended?(phase) }
}
