/// A loss left on its device until the caller reads it (one host wait, with its inputs' finite check).
public protocol DeviceLoss {
    /// The loss as a one-element tensor on the device.
    var loss: Tensor { get }
    /// The loss value; throws when an input of the loss was not finite.
    func value() throws -> Float
}

extension ContrastiveLossResult: DeviceLoss {}
extension InfoNCEResult: DeviceLoss {}

/// A self-supervised method: what it forwards, which loss, what it keeps beyond the encoder and what it updates
/// after each optimiser step. One file per method (`SimCLR.swift`, …); the trainer knows only this protocol.
///
/// The trainer gives each step a batch of views [2B, C, H, W], rows 0..<B the first views of B images and rows
/// B..<2B their second views, and an encoder whose gradients the step accumulates. Methods with a target network
/// (BYOL, MoCo), a queue (MoCo) or a memory bank (InstDisc, NNCLR) keep it themselves, list it in `state` so that
/// checkpoints hold it, and update it in `afterStep`.
public protocol SelfSupervisedMethod: AnyObject {
    /// The name on the command line and in checkpoints ("simclr").
    var name: String { get }
    /// Networks trained with the encoder, under the prefix their parameters carry in checkpoints ("head").
    var trainable: [(prefix: String, layer: any Layer)] { get }
    /// Forward and backward of one batch of views through `encoder` and the method's own networks: every
    /// trainable gradient is accumulated, and the loss is returned on the device. `phases` is told when the
    /// forward pass, the loss and the backward pass have each been enqueued.
    func forwardBackward(views: Tensor, encoder: any Layer, phases: StepPhaseObserver) throws -> any DeviceLoss
    /// After the optimiser's step `step` of `totalSteps` (0-based): target networks' EMA, queue updates.
    func afterStep(_ step: Int, of totalSteps: Int) throws
    /// State besides the trainable networks that a checkpoint keeps (targets, queues, banks), by name.
    var state: [(name: String, value: StateValue)] { get }
}
