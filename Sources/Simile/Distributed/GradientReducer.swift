import Foundation

/// Sums every replica's gradients over the ranks after each backward pass, so that each rank's optimiser takes the
/// same step and the replicas stay bitwise identical (`ReplicaCheck`).
///
/// The parameters are cut into buckets of about `bucketBytes` (25 MB, PyTorch DDP's default), in the order the
/// backward pass finishes their gradients: the reverse of the networks' order. Each bucket is packed into one
/// buffer and summed by one all-reduce on the group's gradient communicator, on a thread of its own.
///
/// Overlap (CPU backend): the backward pass computes on the host in program order, so a gradient is complete when
/// its parameter has received all of its step's contributions. The first step counts the contributions each
/// parameter gets; from the second on, a bucket's all-reduce starts as soon as its last parameter is complete,
/// while the backward pass goes on with the layers before it. On OpenCL the gradients are read back after the
/// backward pass and the buckets summed then (the device's queue gives no completion per gradient here).
/// The ranks run the same backward pass, so they start the buckets in the same order, as MPI requires.
public final class GradientReducer {
    /// 25 MB, PyTorch DDP's default.
    public static let bucketBytes = 25 << 20

    private let group: ProcessGroup
    private let parameters: [(name: String, parameter: Parameter)]
    /// Indices into `parameters`, bucket by bucket, each bucket's in backward order.
    let buckets: [[Int]]
    private let overlaps: Bool
    /// Contributions per parameter in a step (learnt on the first), and this step's so far.
    private var expected: [Int]?
    private var counts: [Int]
    private var bucketOf: [Int]
    private var waiting: [Int] = []
    private var started: [Bool] = []
    private let queue = DispatchQueue(label: "simile gradient all-reduce")
    private let lock = NSLock()
    private var failure: Error?
    private var running = 0

    /// The reducer of `parameters` (in the networks' order, as `Trainer.parameters` lists them).
    init(_ parameters: [(name: String, parameter: Parameter)], group: ProcessGroup, overlaps: Bool,
         bucketBytes: Int = GradientReducer.bucketBytes) {
        self.group = group
        self.parameters = parameters
        self.overlaps = overlaps
        var buckets: [[Int]] = [], bytes = 0
        for index in parameters.indices.reversed() {
            let size = parameters[index].parameter.value.count * MemoryLayout<Float>.stride
            if buckets.isEmpty || bytes + size > bucketBytes, !(buckets.last?.isEmpty ?? false) {
                buckets.append([])
                bytes = 0
            }
            buckets[buckets.count - 1].append(index)
            bytes += size
        }
        self.buckets = buckets
        counts = Array(repeating: 0, count: parameters.count)
        bucketOf = Array(repeating: 0, count: parameters.count)
        for (bucket, members) in buckets.enumerated() { for index in members { bucketOf[index] = bucket } }
        for (index, entry) in parameters.enumerated() {
            entry.parameter.accumulated = { [unowned self] _ in self.contributed(index) }
        }
    }

    deinit { parameters.forEach { $0.parameter.accumulated = nil } }

    /// Called before a step's backward pass.
    func beginStep() {
        counts = Array(repeating: 0, count: parameters.count)
        started = Array(repeating: false, count: buckets.count)
        waiting = buckets.map { members in members.filter { (expected?[$0] ?? 0) > 0 }.count }
        failure = nil
    }

    /// Sums the step's gradients over the ranks (the buckets not yet started first, in order) and waits for
    /// every bucket; a parameter without a gradient on every rank stays without one.
    func finish(step: Int) throws {
        for bucket in buckets.indices where !started[bucket] { start(bucket) }
        try group.waitUntil("step \(step)'s gradient all-reduce") {
            lock.lock()
            defer { lock.unlock() }
            return running == 0
        }
        lock.lock()
        let error = failure
        lock.unlock()
        if let error { throw error }
        if expected == nil { expected = counts }
    }

    private func contributed(_ index: Int) {
        counts[index] += 1
        guard overlaps, let expected else { return }
        let bucket = bucketOf[index]
        if counts[index] > expected[index] {
            record(SimileError.invalidArgument(
                "\(parameters[index].name) took a gradient contribution after its bucket was summed (it took "
                + "\(expected[index]) in the first step); the step's gradients are not the same on every rank"))
            return
        }
        guard counts[index] == expected[index] else { return }
        waiting[bucket] -= 1
        if waiting[bucket] == 0 { start(bucket) }
    }

    /// Packs the bucket's gradients (zeros for a parameter without one), sums them over the ranks on the gradient
    /// thread, and writes the sums back.
    private func start(_ bucket: Int) {
        started[bucket] = true
        // The gradients as they are now, taken on the training thread (a method may drop one later in the step:
        // SwAV's frozen prototypes).
        let members = buckets[bucket].map { (count: parameters[$0].parameter.value.count,
                                             gradient: parameters[$0].parameter.gradient) }
        lock.lock()
        running += 1
        lock.unlock()
        let overlaps = overlaps
        let work = { [group] in
            var buffer = [Float](repeating: 0, count: members.reduce(0) { $0 + $1.count })
            var offset = 0
            for (count, gradient) in members {
                if let gradient { buffer.replaceSubrange(offset ..< offset + count, with: try gradient.toArray()) }
                offset += count
            }
            try buffer.withUnsafeMutableBufferPointer {
                try group.allReduceSum($0, comm: group.gradients, what: "a gradient bucket's all-reduce")
            }
            offset = 0
            try buffer.withUnsafeBufferPointer { sums in
                for (count, gradient) in members {
                    try gradient?.upload(from: sums.baseAddress! + offset)
                    offset += count
                }
            }
        }
        // On OpenCL the buckets run in turn on the calling thread (`finish`), which owns the device's queue.
        guard overlaps else { return complete(Result { try work() }) }
        queue.async { [self] in complete(Result { try work() }) }
    }

    private func complete(_ result: Result<Void, Error>) {
        lock.lock()
        running -= 1
        if case .failure(let error) = result, failure == nil { failure = error }
        lock.unlock()
    }

    private func record(_ error: Error) {
        lock.lock()
        if failure == nil { failure = error }
        lock.unlock()
    }
}
