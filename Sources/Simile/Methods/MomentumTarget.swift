/// A target network kept as an exponential moving average of an online encoder and projection head: MoCo's key
/// encoder and BYOL's target. It starts as a copy of the online networks, gets no gradient (its parameters are
/// frozen and its forward pass records nothing), and after each optimiser step s of T moves toward them:
/// θ_t ← m·θ_t + (1 − m)·θ_o with m = `cosineMomentum(s, T, start, end)`, from the global step, so that a resumed
/// run and an uninterrupted one use the same m. Its batch norm runs in training mode on the target's own batch
/// statistics and keeps its own running statistics (DeepMind's BYOL; the EMA averages parameters only).
final class MomentumTarget {
    let encoder: any ImageEncoder
    let head: Sequential
    /// The checkpoint prefixes of the two networks under "method." ("key_encoder", "key_head").
    let names: (encoder: String, head: String)
    let start: Float
    let end: Float

    init(encoder online: any ImageEncoder, head onlineHead: Sequential, names: (encoder: String, head: String),
         start: Float, end: Float) throws {
        encoder = try online.clone()
        head = try onlineHead.clone()
        encoder.setFrozen(true)
        head.setFrozen(true)
        (self.names, self.start, self.end) = (names, start, end)
    }

    /// The target's projections of `views`, [N, d]; nothing is kept for a backward pass.
    func forward(_ views: Tensor) throws -> Tensor {
        try head.forward(encoder.forward(views))
    }

    /// The momentum after optimiser step `step` (0-based) of `totalSteps`.
    func momentum(after step: Int, of totalSteps: Int) -> Float {
        cosineMomentum(step: step, totalSteps: totalSteps, start: start, end: end)
    }

    /// One EMA step toward the online networks, after optimiser step `step` of `totalSteps`.
    func update(toward onlineEncoder: any ImageEncoder, _ onlineHead: Sequential, after step: Int,
                of totalSteps: Int) throws {
        let m = momentum(after: step, of: totalSteps)
        try emaUpdate(target: encoder, online: onlineEncoder, momentum: m)
        try emaUpdate(target: head, online: onlineHead, momentum: m)
    }

    /// Both networks' state dicts under their names.
    var state: [(name: String, value: StateValue)] {
        prefixed(names.encoder, encoder.stateDict()) + prefixed(names.head, head.stateDict())
    }

    /// Loads `state`'s entries from `tensors` (names as `state` gives them; other entries are the caller's).
    func load(_ tensors: [SafetensorsTensor], owner: String) throws {
        try encoder.load(entries(under: names.encoder, of: tensors), name: owner + " (\(names.encoder).*)")
        try head.load(entries(under: names.head, of: tensors), name: owner + " (\(names.head).*)")
    }
}
