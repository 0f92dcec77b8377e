/// A first-in first-out queue of K L2-normalised rows on the device: MoCo's negative keys, NNCLR's support set. It
/// starts as K random unit rows (lightly's memory bank) and takes each step's rows after the optimiser step,
/// overwriting the oldest; a batch that does not fill the rest of the queue wraps around, and one of more than K rows
/// leaves its last K. Nothing reaches it by a gradient. Checkpoints keep it as NAME and NAME_pointer ("queue" and
/// "queue_pointer" unless the method names it otherwise).
public final class EmbeddingQueue {
    /// The queue [K, d].
    public let rows: Tensor
    /// The row the next entry goes to: the oldest.
    public private(set) var pointer = 0
    /// Its name in checkpoints.
    let name: String

    init(size: Int, width: Int, seed: UInt64, on device: Device, name: String = "queue") throws {
        rows = try randomUnitRows(size, width, seed: seed, on: device)
        self.name = name
    }

    /// Writes rows `range` of `values`, L2-normalised, from `pointer` on, wrapping around at the end.
    func enqueue(_ values: Tensor, rows range: Range<Int>? = nil) throws {
        let units = try l2Normalize(values).y
        let range = range ?? 0..<values.shape[0]
        let size = rows.shape[0], n = min(range.count, size), first = range.upperBound - n
        let tail = min(n, size - pointer)
        try copyRows(units, from: first, count: tail, into: rows, at: pointer)
        try copyRows(units, from: first + tail, count: n - tail, into: rows, at: 0)
        pointer = (pointer + n) % size
    }

    var state: [(name: String, value: StateValue)] {
        [(name, .tensor(rows)), (name + "_pointer", .count(Int64(pointer)))]
    }

    /// Takes back `state` from a checkpoint's `tensors` (exactly these two), the pointer checked against the queue.
    func load(_ tensors: [SafetensorsTensor], owner: String) throws {
        guard let entry = tensors.first(where: { $0.name == name + "_pointer" }), case let .int64(values) = entry.data,
              values.count == 1, values[0] >= 0, values[0] < rows.shape[0] else {
            throw SimileError.invalidArgument("\(owner): the checkpoint has no valid \(name)_pointer (an int64 scalar in "
                                              + "0..<\(rows.shape[0]))")
        }
        try Simile.loadState(tensors, into: state, strict: true, for: owner) { _, value in pointer = Int(value) }
    }
}

extension MethodContext {
    /// `--queue-size`, refused when larger than the training set its rows come from.
    func queueSize(method: String) throws -> Int {
        guard let size = configuration.queueSize else { throw SimileError.invalidArgument("\(method) needs --queue-size") }
        guard size <= trainingImages else {
            // Each step enqueues at least B rows, so a queue as large as the data set already spans an epoch's worth.
            throw SimileError.invalidArgument("--queue-size \(size) is larger than the \(trainingImages) "
                                              + "training images its rows come from; give at most \(trainingImages)")
        }
        return size
    }
}
