/// How a method's loss sees the global batch of a data-parallel step: what each rank holds of it, gathered
/// (`rows`), and the gradient of this rank's rows (`localGradient`). One process (P = 1) is the identity.
///
/// Gathered (the default under `--distributed`, lightly's `gather_distributed`): every rank all-gathers the
/// embeddings, computes the loss of the whole global batch (the same value on every rank: each anchor meets every
/// other rank's negatives) and keeps the gradient of its own rows. The gradients the ranks' backward passes
/// give are then the global loss's gradient split by rows, and summing them over the ranks (`GradientReducer`)
/// gives exactly the single-process gradient of the same global batch. Every rank computes the loss of all rows:
/// the loss is a few GEMMs of B·P rows, small beside the encoder's step, and it needs no second collective for its
/// gradient (lightly's all-reduce of the gathered rows' gradients).
///
/// Local (`--no-gather-negatives`): each rank's loss sees only its own rows, and its gradient is scaled by 1/P, so
/// that the sum over the ranks is the gradient of the ranks' mean loss (DDP's average).
public struct BatchGather {
    /// The group, and whether rows are gathered; nil group: one process.
    let group: ProcessGroup?
    let gathered: Bool

    /// One process: `rows` and `localGradient` return their input.
    public static let single = BatchGather(group: nil, gathered: false)

    public init(group: ProcessGroup?, gathered: Bool) {
        (self.group, self.gathered) = (group, gathered)
    }

    /// The number of ranks whose rows `rows` returns.
    public var ranks: Int { gathered ? group?.size ?? 1 : 1 }

    /// This rank's rows [V·b, …] (`views` blocks of b rows: the v-th views of its b images) as the global batch
    /// [V·P·b, …]: block v holds every rank's v-th views in rank order, the layout the losses take. Unchanged when
    /// not gathered.
    public func rows(_ local: Tensor, views: Int) throws -> Tensor {
        guard let group, gathered, group.size > 1 else { return local }
        let block = try blockSize(local, views: views)
        let all = try group.allGather(local.toArray(), what: "the all-gather of \(local.shape)")
        var global = [Float](repeating: 0, count: all.count)
        let p = group.size
        for rank in 0..<p {
            for view in 0..<views {
                let source = (rank * views + view) * block, destination = (view * p + rank) * block
                global[destination ..< destination + block] = all[source ..< source + block]
            }
        }
        return try Tensor(global, shape: [local.shape[0] * p] + local.shape.dropFirst(), on: local.device)
    }

    /// The gradient of this rank's rows from the gradient of `rows`' output (gathered), or this rank's own
    /// gradient scaled by 1/P (local).
    public func localGradient(_ global: Tensor, views: Int) throws -> Tensor {
        guard let group, group.size > 1 else { return global }
        guard gathered else { return try scale(global, by: 1 / Float(group.size)) }
        let p = group.size
        let block = try blockSize(global, views: views * p)
        let all = try global.toArray()
        var local = [Float](repeating: 0, count: all.count / p)
        for view in 0..<views {
            let source = (view * p + group.rank) * block, destination = view * block
            local[destination ..< destination + block] = all[source ..< source + block]
        }
        return try Tensor(local, shape: [global.shape[0] / p] + global.shape.dropFirst(), on: global.device)
    }

    /// Every rank's image positions, in the order `rows` puts their rows (one view).
    public func images(_ local: [Int]) throws -> [Int] {
        guard let group, gathered, group.size > 1 else { return local }
        return try group.allGather(local.map(Int64.init), what: "the all-gather of the batch's images").map(Int.init)
    }

    /// Elements in one view's block of a rank's rows.
    private func blockSize(_ tensor: Tensor, views: Int) throws -> Int {
        guard views >= 1, tensor.shape.count >= 1, tensor.shape[0] % views == 0 else {
            throw SimileError.shapeMismatch(op: "BatchGather", detail: "\(tensor.shape) does not split into \(views) "
                                            + "blocks of rows")
        }
        return tensor.count / views
    }
}
