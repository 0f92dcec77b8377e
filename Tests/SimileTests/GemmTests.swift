import Testing
@testable import Simile

@Suite struct GemmTests {
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (7, 7, 7), (33, 33, 33), (257, 257, 257), (7, 33, 257), (257, 1, 33), (1, 257, 7), (33, 257, 1),
    ]
    static let transposes = [(false, false), (true, false), (false, true), (true, true)]

    @Test("C = alpha op(A) op(B) + beta C matches float64 on every backend and variant",
          arguments: shapes, transposes)
    func matchesReference(shape: (m: Int, n: Int, k: Int), transpose: (Bool, Bool)) throws {
        let (m, n, k) = shape
        let (transposeA, transposeB) = transpose
        let aShape = transposeA ? [k, m] : [m, k], bShape = transposeB ? [n, k] : [k, n]
        let a = randomValues(m * k, seed: 1), b = randomValues(k * n, seed: 2), c = randomValues(m * n, seed: 3)
        let (a64, b64, c64) = (a.map(Double.init), b.map(Double.init), c.map(Double.init))
        for beta in [0.0, 0.5] {
            let expected = Reference.gemm(a64, aShape, b64, bShape, c64, transposeA: transposeA, transposeB: transposeB,
                                          alpha: 1.5, beta: beta)
            for (backend, kernel) in gemmTargets {
                guard let device = try backend.open() else { continue }
                let initial = beta == 0 ? [Float](repeating: .nan, count: m * n) : c
                let result = try Tensor(initial, shape: [m, n], on: device)
                try gemm(Tensor(a, shape: aShape, on: device), Tensor(b, shape: bShape, on: device), into: result,
                         transposeA: transposeA, transposeB: transposeB, alpha: 1.5, beta: Float(beta), kernel: kernel)
                expectClose(try result.toArray(), expected, tolerance: 2e-5,
                            "\(backend) \(kernel?.rawValue ?? "blas") \(m)x\(n)x\(k) tA=\(transposeA) tB=\(transposeB) beta=\(beta)")
            }
        }
    }

    @Test("matmul allocates the M×N product", arguments: TestBackend.allCases)
    func matmulProduct(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let a = try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3], on: device)
        let b = try Tensor([1, 0, 0, 1, 1, 1], shape: [3, 2], on: device)
        let c = try matmul(a, b)
        #expect(c.shape == [2, 2])
        #expect(try c.toArray() == [4, 5, 10, 11])
        #expect(try matmul(a, a, transposeB: true).toArray() == [14, 32, 32, 77])
    }

    @Test("K = 0 leaves beta C", arguments: gemmTargets.map { $0.0 })
    func emptyDepth(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let c = try Tensor([1, 2, 3, 4], shape: [2, 2], on: device)
        try gemm(Tensor.zeros([2, 0], on: device), Tensor.zeros([0, 2], on: device), into: c, beta: 0.5)
        #expect(try c.toArray() == [0.5, 1, 1.5, 2])
    }

    @Test("mismatched shapes give one error naming every shape")
    func shapeMismatch() throws {
        let a = try Tensor.zeros([2, 3], on: .cpu), b = try Tensor.zeros([4, 5], on: .cpu)
        let c = try Tensor.zeros([2, 5], on: .cpu)
        expectError(.shapeMismatch(op: "gemm", detail: "A with A [2, 3] times B with B [4, 5] into C [2, 5]")) {
            try gemm(a, b, into: c)
        }
        expectError(.shapeMismatch(op: "gemm", detail: "A must be 2-D, got shape [6]")) {
            try gemm(a.reshaped([6]), b, into: c)
        }
        #expect(throws: Never.self) { try gemm(a, Tensor.zeros([5, 3], on: .cpu), into: c, transposeB: true) }
    }
}
