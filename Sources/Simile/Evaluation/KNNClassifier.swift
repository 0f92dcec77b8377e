/// Floats in one similarity tile (16 MiB): a chunk of test rows × every train row.
private let tileFloats = 1 << 22

/// Test rows per chunk for `trainRows` train rows: as many as fit `tileFloats`, between 1 and 256.
func knnChunkRows(trainRows: Int) -> Int { max(1, min(256, tileFloats / max(trainRows, 1))) }

/// Bytes `knnClassify` allocates on the features' device besides its inputs: the normalised train and test
/// features, one normalised test chunk and its similarity tile (chunk × Ntrain); on OpenCL the host holds a
/// copy of the tile too. Never Ntest × Ntrain.
public func knnExtraBytes(trainRows: Int, testRows: Int, features d: Int) -> Int {
    let chunk = knnChunkRows(trainRows: trainRows)
    return ((trainRows + testRows) * (d + 1) + chunk * (d + trainRows)) * MemoryLayout<Float>.stride
}

/// The weighted k-nearest-neighbour classifier that monitors self-supervised training (InstDisc's, as solo-learn
/// and lightly run it): rows of the train and test features are L2-normalised (F.normalize), each test row keeps
/// its k = min(k, Ntrain) most similar train rows by cosine s (the lower index among exact ties), and class c
/// scores Σ exp(s/T) over those labelled c. Classes rank by score (the lower index among equal scores), and the
/// result is the top-1 and top-5 accuracy on `testLabels` (see `ClassificationAccuracy`).
///
/// Memory: test rows go in chunks of up to 256 (fewer when Ntrain > 16384, so a tile stays 16 MiB); each chunk's
/// similarities to every train row are one `gemm` on the features' device into a chunk × Ntrain tile, and the
/// top-k of each row is then selected on the host, the rows spread over the host's cores. The host selection reads
/// each similarity once with one compare (`NeighbourHeap`) and keeps this code small; its price on OpenCL is the
/// tile's blocking read-back (16 MiB, about a millisecond over PCIe 4), and on the CPU `perf` puts the selection
/// and vote at 6% of the time (`simile-bench --kernel knn`). The Ntest × Ntrain matrix is never allocated
/// (`knnExtraBytes`). Features must be finite (checked on their device). Labels are in 0..<classes.
/// Checks kNN's settings, naming them as `names` gives them ("--k" and "--knn-temperature" for the command line):
/// k ≥ 1 neighbours, and a weighting temperature that is positive and finite.
public func validateKNNSettings(k: Int, temperature: Double, names: (k: String, temperature: String)) throws {
    guard k >= 1 else { throw SimileError.invalidArgument("\(names.k) must be ≥ 1, got \(k)") }
    guard temperature > 0, temperature.isFinite else {
        throw SimileError.invalidArgument("\(names.temperature) must be > 0 and finite, got \(temperature)")
    }
}

public func knnClassify(train: Tensor, trainLabels: [Int], test: Tensor, testLabels: [Int], classes: Int,
                        k: Int = 200, temperature: Double = 0.1) throws -> ClassificationAccuracy {
    let op = "knnClassify", operands: [(name: String, tensor: Tensor)] = [("train", train), ("test", test)]
    try validateBankOperands(op, operands)
    try requireClasses(op, classes)
    try requireLabels(op, "trainLabels", trainLabels, for: train, classes: classes)
    try requireLabels(op, "testLabels", testLabels, for: test, classes: classes)
    try validateKNNSettings(k: k, temperature: temperature, names: ("\(op): k", "\(op): temperature"))
    try FiniteCheck.require(op, operands)
    let trainUnits = try l2Normalize(train).y, testUnits = try l2Normalize(test).y
    let trainRows = train.shape[0], testRows = test.shape[0], chunkRows = knnChunkRows(trainRows: trainRows)
    let neighbours = min(k, trainRows), topCount = min(5, classes)
    var ranked = [[Int]](repeating: [], count: testRows)
    let hostTile = try SimilarityTileReadback(device: train.device, count: chunkRows * trainRows)
    for start in stride(from: 0, to: testRows, by: chunkRows) {
        let rows = start..<min(start + chunkRows, testRows)
        let tile = try Tensor(uninitialized: [rows.count, trainRows], on: train.device)
        try gemm(try rowSlice(testUnits, rows), trainUnits, into: tile, transposeB: true)
        let similarities = try hostTile.read(tile)
        ranked.withUnsafeMutableBufferPointer { ranked in
            hostParallelFor(rows.count, work: rows.count * trainRows) { range in
                var heap = NeighbourHeap(capacity: neighbours)
                var scores = [Double](repeating: 0, count: classes)
                for r in range {
                    heap.removeAll()
                    let row = similarities + r * trainRows
                    for j in 0..<trainRows where row[j] > heap.floor { heap.offer(row[j], j) }
                    scores.withUnsafeMutableBufferPointer { scores in
                        weightedVote(heap, labels: trainLabels, temperature: temperature, into: scores)
                        ranked[rows.lowerBound + r] = topClasses(UnsafeBufferPointer(scores), count: topCount)
                    }
                }
            }
        }
    }
    return ClassificationAccuracy(ranked: ranked, labels: testLabels, topCount: topCount)
}

/// The host's view of a similarity tile: a CPU tensor's own memory, or one reused host buffer that an OpenCL
/// tile is read into (a blocking read, which also waits for the tile's `gemm`).
private struct SimilarityTileReadback {
    let buffer: HostBuffer?

    init(device: Device, count: Int) throws {
        buffer = device.openCL == nil ? nil : try HostBuffer(count: count, for: "a kNN similarity tile")
    }

    func read(_ tile: Tensor) throws -> UnsafePointer<Float> {
        guard let buffer, let cl = tile.device.openCL else { return UnsafePointer(tile.hostPointer) }
        try cl.read(tile.clBuffer, count: tile.count, into: buffer.pointer)
        return UnsafePointer(buffer.pointer)
    }
}

/// `parallelFor` on the host's cores whatever the features' device: the kNN's selection runs on the host.
private func hostParallelFor(_ count: Int, work: Int, _ body: (Range<Int>) -> Void) {
    guard case .cpu(let cpu) = Device.cpu.backend else { preconditionFailure("Device.cpu is not a CPU backend") }
    cpu.parallelFor(count, work: work, body)
}
