/// How a trainer takes part in a data-parallel run (`simile train --distributed`): its process group, whether
/// the losses gather the other ranks' rows (`BatchGather`; on by default), and whether batch norm normalises over
/// every rank's rows (`BatchNormSync`; off by default: per-rank statistics, as PyTorch's DDP without SyncBatchNorm).
///
/// `--batch-size` is the global batch: each of the P ranks takes B/P images of every step (B must divide), drawn
/// from the same seeded shuffle (`BatchSampler`), so a run's steps, schedule and checkpoints are the same for any
/// P, and a run saved with one P resumes with another.
public struct DataParallel {
    public let group: ProcessGroup
    public let gatherNegatives: Bool
    public let syncBatchNorm: Bool
    /// The size of the gradient all-reduce's buckets (`GradientReducer`).
    public let bucketBytes: Int

    public init(group: ProcessGroup, gatherNegatives: Bool = true, syncBatchNorm: Bool = false,
                bucketBytes: Int = GradientReducer.bucketBytes) {
        (self.group, self.gatherNegatives, self.syncBatchNorm) = (group, gatherNegatives, syncBatchNorm)
        self.bucketBytes = bucketBytes
    }

    /// The loss's view of each step's batch.
    var gather: BatchGather { BatchGather(group: group, gathered: gatherNegatives) }
}

extension ProcessGroup {
    /// Throws unless every rank holds bitwise the same `parameters`: a 64-bit FNV-1a hash of each rank's values is
    /// all-gathered and compared. The trainer checks after the last step, and every `ReplicaCheck.interval` steps
    /// in debug builds.
    func requireIdentical(_ parameters: [(name: String, parameter: Parameter)], after step: Int) throws {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for (_, parameter) in parameters {
            for value in try parameter.value.toArray() {
                hash = (hash ^ UInt64(value.bitPattern)) &* 0x100_0000_01b3
            }
        }
        let hashes = try allGather([Int64(bitPattern: hash)], what: "the replicas' parameter hashes")
        guard hashes.allSatisfy({ $0 == hashes[0] }) else {
            let differing = hashes.indices.filter { hashes[$0] != hashes[0] }.map(String.init).joined(separator: ", ")
            throw SimileError.invalidArgument("after step \(step) the replicas' parameters differ: rank(s) "
                                              + "\(differing) do not match rank 0 (a data-parallel bug; please "
                                              + "report it)")
        }
    }
}

/// How often debug builds check that the replicas are identical.
enum ReplicaCheck {
    static let interval = 50
}
