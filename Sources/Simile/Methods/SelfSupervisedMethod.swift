/// A loss left on its device until the caller reads it (one host wait, with its inputs' finite check).
public protocol DeviceLoss {
    /// The loss as a one-element tensor on the device.
    var loss: Tensor { get }
    /// The loss value; throws when an input of the loss was not finite.
    func value() throws -> Float
}

extension ContrastiveLossResult: DeviceLoss {}
extension InfoNCEResult: DeviceLoss {}
extension NearestNeighbourContrastiveResult: DeviceLoss {}

/// What a method trains on in one step: the batch's views and which training images they show (never their labels).
public struct MethodBatch {
    /// The views [V·B, C, H, W]: rows v·B ..< (v + 1)·B are the v-th views of the B images, each drawn from the
    /// method's chain `MethodEntry.views[v]`; the views of the first chain's output size only.
    public let views: Tensor
    /// The views of each further output size, in view order (SwAV's small crops); empty for one size.
    public let otherSizes: [Tensor]
    /// The B images' positions in the training set (0 ..< `MethodContext.trainingImages`), in the views' row order:
    /// InstDisc's bank rows.
    public let images: [Int]
    /// The optimiser step this batch trains, 0-based over the run (SwAV's prototypes are frozen in the first epoch).
    public let step: Int
    /// In a data-parallel run this batch is one rank's share of the step's global batch: the method's loss sees the
    /// global batch through `gather.rows` and returns its gradient to this rank's rows with `gather.localGradient`,
    /// and what it keeps (queues, banks) it fills from gathered rows, the same on every rank. `.single` otherwise.
    public let gather: BatchGather

    public init(views: Tensor, otherSizes: [Tensor] = [], images: [Int], step: Int, gather: BatchGather = .single) {
        (self.views, self.otherSizes, self.images, self.step, self.gather) = (views, otherSizes, images, step, gather)
    }

    /// The loader's batch for step `step`, without its labels.
    public init(_ batch: LoadedBatch, step: Int = 0, gather: BatchGather = .single) {
        self.init(views: batch.views, otherSizes: batch.otherSizes, images: batch.indices, step: step, gather: gather)
    }
}

/// What one step of a method gives the trainer: the loss on the device, the encoder's features of the batch's
/// views ([2B, F], for the online probe, which detaches them) and the projector outputs ([2B, d], which the
/// collapse monitor watches).
public struct MethodStep {
    public let loss: any DeviceLoss
    public let features: Tensor
    public let embeddings: Tensor

    public init(loss: any DeviceLoss, features: Tensor, embeddings: Tensor) {
        (self.loss, self.features, self.embeddings) = (loss, features, embeddings)
    }
}

/// A self-supervised method, as Falcon & Cho's five choices make one: the augmentation of its views
/// (`MethodEntry.views`), the encoder (the trainer's) and the networks it adds (`trainable`, and targets it keeps in
/// `state`), how it extracts the representation it compares (`forwardBackward`), the similarity and the loss. One
/// file per method (`SimCLR.swift`, `MoCo.swift`, …) declares it and its `MethodEntry`; the trainer knows only
/// this protocol and `MethodRegistry`.
///
/// The trainer gives each step a `MethodBatch` (for two views [2B, C, H, W], rows 0..<B the first views of B images
/// and rows B..<2B their second views) and an encoder whose gradients the step accumulates. Methods with a target network
/// (BYOL, MoCo) or a queue (MoCo) keep it themselves, list it in `state` so that checkpoints hold it, take it back
/// in `loadState` on `--resume`, and update it in `afterStep`. Nothing the method keeps outside `trainable` gets a
/// gradient.
public protocol SelfSupervisedMethod: AnyObject {
    /// The name on the command line and in checkpoints ("simclr").
    var name: String { get }
    /// Networks trained with the encoder, under the prefix their parameters carry in checkpoints ("head").
    var trainable: [(prefix: String, layer: any Layer)] { get }
    /// Prefixes of `trainable` networks trained at the base learning rate without the schedule (SimSiam's
    /// predictor); the trainer puts them in an optimiser group of their own.
    var fixedLearningRate: [String] { get }
    /// Forward and backward of one batch of views through `encoder` and the method's own networks: every
    /// trainable gradient is accumulated, and the loss is returned on the device. `phases` is told when the
    /// forward pass, the loss and the backward pass have each been enqueued.
    func forwardBackward(_ batch: MethodBatch, encoder: any Layer, phases: StepPhaseObserver) throws -> MethodStep
    /// After the optimiser's step `step` of `totalSteps` (0-based, global over the run): target networks' EMA,
    /// queue updates.
    func afterStep(_ step: Int, of totalSteps: Int) throws
    /// State besides the trainable networks that a checkpoint keeps (targets, queues, counters), by name.
    var state: [(name: String, value: StateValue)] { get }
    /// Takes back `state` from a checkpoint (names without the "method." prefix), all checked before any is set.
    func loadState(_ tensors: [SafetensorsTensor], owner: String) throws
    /// The loss a collapsed run sits at and what it means ("ln 512: predictions uniform over the prototypes"), for
    /// the collapse warning; nil where the embeddings' spread alone tells.
    var collapsedLoss: (value: Float, meaning: String)? { get }
    /// A memory bank of one row per training image (in training-set order) and how an image's encoder features
    /// become a row to compare with it, for the kNN from the bank that InstDisc's paper evaluates with; nil without
    /// a bank.
    var memoryBank: (rows: Tensor, embed: (Tensor) throws -> Tensor)? { get }
}

extension SelfSupervisedMethod {
    public var fixedLearningRate: [String] { [] }
    public var state: [(name: String, value: StateValue)] { [] }
    public var collapsedLoss: (value: Float, meaning: String)? { nil }
    public var memoryBank: (rows: Tensor, embed: (Tensor) throws -> Tensor)? { nil }
    public func afterStep(_ step: Int, of totalSteps: Int) throws {}

    public func loadState(_ tensors: [SafetensorsTensor], owner: String) throws {
        try Simile.loadState(tensors, into: state, strict: true, for: owner) { name, _ in
            preconditionFailure("\(self.name) keeps no counter \(name)")
        }
    }
}
