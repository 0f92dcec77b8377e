import Simile

extension BenchKernel {
    /// `bank-rows`: `gatherRows` and `momentumUpdateRows` of n rows (random, repeats allowed) of a 16,384 × 128 bank,
    /// as InstDisc's step reads and updates its batch's rows; bytes are the minimum traffic (gather: read and write a
    /// row each; update: read the row and the value, write the row, read and write it again to scale it), for the
    /// copy bandwidth in the same run. `sinkhorn`: SwAV's 3 rounds on n samples against 3000 prototypes; bytes read S
    /// once, write the codes once and read and write them twice per pass, two passes per round.
    func bankCases(n: Int, on device: Device) throws -> [BenchCase] {
        if self == .sinkhorn {
            let k = 3000
            let scores = try Tensor.uniform([n, k], low: -1, high: 1, seed: 1, on: device)
            let words = Double(n * k) * (2 + 3 * 4)
            return [BenchCase(kernel: rawValue, size: "\(n)x\(k)", flops: 0, bytes: 4 * words,
                              extraBytes: 4 * n * k) { _ = try Simile.sinkhorn(scores, epsilon: 0.05, iterations: 3) }]
        }
        let (rows, d) = (16_384, 128)
        let bank = try Tensor.uniform([rows, d], low: -1, high: 1, seed: 2, on: device)
        var generator = SeededGenerator(seed: 3)
        let indices = try RowIndices((0..<n).map { _ in Int(generator.next() % UInt64(rows)) }, rows: rows, on: device)
        let values = try Tensor.uniform([n, d], low: -1, high: 1, seed: 4, on: device)
        let row = Double(n * d * 4), size = "\(n) of \(rows)x\(d)"
        return [
            BenchCase(kernel: "gather-rows", size: size, flops: 0, bytes: 2 * row, extraBytes: Int(row)) {
                _ = try gatherRows(bank, indices)
            },
            BenchCase(kernel: "bank-update", size: size, flops: Double(n * d * 5), bytes: 5 * row, extraBytes: 0) {
                try momentumUpdateRows(bank, indices, values: values, momentum: 0.5)
            },
        ]
    }
}
