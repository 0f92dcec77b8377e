import Testing
@testable import Simile

@Suite struct NearestNeighbourTests {
    @Test("indices and similarities match the float64 brute force", arguments: memoryBankTargets)
    func matchesBruteForce(backend: TestBackend, kernel: GemmKernel?) throws {
        guard let device = try backend.open() else { return }
        let d = 11
        for (n, k) in [(1, 1), (3, 5), (257, 1000), (1, 1000), (257, 5)] {
            let u = randomValues(n * d, seed: UInt64(7 * n + k)), support = randomValues(k * d, seed: UInt64(n + 3 * k))
            let expected = Reference.nearestNeighbours(of: u.map(Double.init), in: support.map(Double.init), rows: n,
                                                       supportRows: k, cols: d)
            try #require(nearTies(u, support, rows: n, supportRows: k, cols: d, best: expected.similarities) == 0,
                         "the test data has near-ties at N=\(n) K=\(k)")
            let result = try nearestNeighbours(of: Tensor(u, shape: [n, d], on: device),
                                               in: Tensor(support, shape: [k, d], on: device), kernel: kernel)
            #expect(result.indices == expected.indices, "N=\(n) K=\(k)")
            let error = zip(result.similarities, expected.similarities).map { abs(Double($0) - $1) }.max()!
            #expect(error <= 1e-6, "N=\(n) K=\(k): similarity error \(error)")
        }
    }

    @Test("exact ties go to the lowest index", arguments: memoryBankTargets)
    func ties(backend: TestBackend, kernel: GemmKernel?) throws {
        guard let device = try backend.open() else { return }
        let (n, k, d) = (40, 1000, 5)
        var support = randomValues(k * d, seed: 60)
        let u = randomValues(n * d, seed: 61)
        // Row i of u is copied to support rows 3i + 1 and 999 − i: both are its exact nearest neighbours.
        for i in 0..<n {
            for row in [3 * i + 1, 999 - i] { support.replaceSubrange(row * d..<(row + 1) * d, with: u[i * d..<(i + 1) * d]) }
        }
        let result = try nearestNeighbours(of: Tensor(u, shape: [n, d], on: device),
                                           in: Tensor(support, shape: [k, d], on: device), kernel: kernel)
        #expect(result.indices == (0..<n).map { 3 * $0 + 1 })
        #expect(result.similarities.allSatisfy { abs($0 - 1) < 1e-6 })
    }

    @Test("a support bank of several OpenCL launches (1 MiB chunks: about 1000 rows of d = 260) carries the best across them",
          arguments: memoryBankTargets)
    func severalChunks(backend: TestBackend, kernel: GemmKernel?) throws {
        guard let device = try backend.open() else { return }
        let (n, k, d) = (5, 1100, 260)
        let u = randomValues(n * d, seed: 73)
        var support = randomValues(k * d, seed: 74)
        // Row 0 of u is copied to support rows 700 and 1050, in the first and second chunks: 700 must win.
        for row in [700, 1050] { support.replaceSubrange(row * d..<(row + 1) * d, with: u[0..<d]) }
        let expected = Reference.nearestNeighbours(of: u.map(Double.init), in: support.map(Double.init), rows: n,
                                                   supportRows: k, cols: d)
        try #require(nearTies(u, support, rows: n, supportRows: k, cols: d, best: expected.similarities) == 1)
        let result = try nearestNeighbours(of: Tensor(u, shape: [n, d], on: device),
                                           in: Tensor(support, shape: [k, d], on: device), kernel: kernel)
        #expect(result.indices == expected.indices && result.indices[0] == 700)
        expectClose(result.similarities, expected.similarities, tolerance: 1e-6, "similarities")
    }

    @Test("the indices stay on the device and gather the support rows they name; a NaN query still names a row, and read() reports it",
          arguments: memoryBankTargets)
    func deviceIndices(backend: TestBackend, kernel: GemmKernel?) throws {
        guard let device = try backend.open() else { return }
        let (n, k, d) = (37, 300, 9)
        var u = randomValues(n * d, seed: 81)
        let support = try Tensor(randomValues(k * d, seed: 82), shape: [k, d], on: device)
        let found = try nearestNeighbourRows(of: Tensor(u, shape: [n, d], on: device), in: support, kernel: kernel)
        #expect(found.indices.count == n && found.indices.rows == k && found.similarities.shape == [n])
        let host = try found.read()
        let rows = try support.toArray()
        #expect(try gatherRows(support, found.indices).toArray() == host.indices.flatMap { rows[$0 * d..<($0 + 1) * d] })
        u[4 * d + 2] = .nan
        let poisoned = try nearestNeighbourRows(of: Tensor(u, shape: [n, d], on: device), in: support, kernel: kernel)
        #expect(try poisoned.indices.values.toArray().allSatisfy { (0..<Float(k)).contains($0) && $0 == $0.rounded() })
        expectError(.invalidArgument("nearestNeighbours: u[4, 2] is nan; the input must be finite")) {
            _ = try poisoned.read()
        }
    }

    @Test("bad input is one clear error")
    func badInput() throws {
        let u = try Tensor.uniform([4, 3], seed: 1, on: .cpu), support = try Tensor.uniform([6, 3], seed: 2, on: .cpu)
        expectError(.shapeMismatch(op: "nearestNeighbours", detail: "u must be 2-D, got shape [12]")) {
            _ = try nearestNeighbours(of: u.reshaped([12]), in: support)
        }
        expectError(.shapeMismatch(op: "nearestNeighbours", detail: "u [4, 3] and support [3, 6] differ in features d")) {
            _ = try nearestNeighbours(of: u, in: support.reshaped([3, 6]))
        }
        expectError(.invalidArgument("nearestNeighbours: u has no rows (shape [0, 3]); at least 1 is needed")) {
            _ = try nearestNeighbours(of: Tensor.zeros([0, 3], on: .cpu), in: support)
        }
        expectError(.invalidArgument("nearestNeighbours: support has no rows (shape [0, 3]); at least 1 is needed")) {
            _ = try nearestNeighbours(of: u, in: Tensor.zeros([0, 3], on: .cpu))
        }
        var values = try support.toArray()
        values[17] = -.infinity
        expectError(.invalidArgument("nearestNeighbours: support[5, 2] is -inf; the input must be finite")) {
            _ = try nearestNeighbours(of: u, in: Tensor(values, shape: [6, 3], on: .cpu))
        }
        guard let device = try TestBackend.opencl.open() else { return }
        expectError(.deviceMismatch(op: "nearestNeighbours", detail: "\(try u.to(device)) and \(support)")) {
            _ = try nearestNeighbours(of: try u.to(device), in: support)
        }
    }

    /// Rows of u whose runner-up similarity is within 1e-5 of the best (where float32 may pick either).
    private func nearTies(_ u: [Float], _ support: [Float], rows n: Int, supportRows k: Int, cols d: Int,
                          best: [Double]) -> Int {
        let units = Reference.l2Normalize(u.map(Double.init), rows: n, cols: d, eps: 1e-12).y
        let s = Reference.l2Normalize(support.map(Double.init), rows: k, cols: d, eps: 1e-12).y
        return (0..<n).filter { i in
            (0..<k).filter { j in
                let similarity = (0..<d).reduce(0) { $0 + units[i * d + $1] * s[j * d + $1] }
                return best[i] - similarity < 1e-5
            }.count > 1
        }.count
    }
}
