import Testing
@testable import Simile

@Suite struct ContrastiveLossTests {
    /// (N, d): N not a multiple of any tile size, and 1000 rows per view spanning several row blocks.
    static let sizes: [(n: Int, d: Int)] = [(2, 2), (3, 5), (257, 16), (1000, 4)]

    @Test("fused loss and gradient match the float64 reference that materialises the matrix",
          arguments: ContrastiveMethod.allCases, [0.05, 1.0] as [Float])
    func matchesReference(method: ContrastiveMethod, temperature: Float) throws {
        for (n, d) in Self.sizes {
            let values = randomValues(2 * n * d, seed: UInt64(n * 31 + d))
            let z = try Tensor(values, shape: [2 * n, d], on: .cpu)
            let result = try contrastiveLoss(z, method: method, temperature: temperature)
            let expected = Reference.contrastiveLoss(values.map(Double.init), rows: 2 * n, cols: d, method: method,
                                                     temperature: Double(temperature))
            let label = "\(method) τ=\(temperature) N=\(n) d=\(d)"
            #expect(abs(Double(result.loss) - expected.loss) <= 2e-5 * max(1, abs(expected.loss)),
                    "\(label): loss \(result.loss) vs \(expected.loss)")
            let largest = expected.gradient.map(abs).max()!
            let error = zip(try result.gradient.toArray(), expected.gradient).map { abs(Double($0) - $1) }.max()!
            #expect(result.gradient.shape == z.shape)
            // Terms of size 1/(Mτ) cancel where the loss saturates: float32 keeps ~1e-6 of them.
            let cancellation = 1e-6 / (Double(2 * n) * Double(temperature))
            #expect(error <= 2e-4 * largest + cancellation, "\(label): gradient error \(error), largest entry \(largest)")
        }
    }

    @Test("the hand-computed N = 2, d = 2 values")
    func handComputed() throws {
        let z = try Tensor([1, 0, 0, 1, 1, 0, 0, 1], shape: [4, 2], on: .cpu)
        #expect(abs(try contrastiveLoss(z, method: .ntxent, temperature: 1).loss - 0.551_444_7) < 1e-6)
        #expect(abs(try contrastiveLoss(z, method: .dcl, temperature: 1).loss - (-0.306_852_8)) < 1e-6)
        #expect(abs(try contrastiveLoss(z, method: .dclw, temperature: 0.5).loss - (-1.306_852_8)) < 1e-6)
    }

    @Test("bad input is one clear error")
    func badInput() throws {
        let good = try Tensor.uniform([8, 3], seed: 1, on: .cpu)
        expectError(.invalidArgument("contrastiveLoss: z has 7 rows; it needs 2N (N rows per view)")) {
            _ = try contrastiveLoss(Tensor.zeros([7, 3], on: .cpu), method: .ntxent)
        }
        expectError(.invalidArgument("contrastiveLoss: N = 1 image(s); at least 2 are needed for a negative")) {
            _ = try contrastiveLoss(Tensor.uniform([2, 3], seed: 1, on: .cpu), method: .dcl)
        }
        expectError(.invalidArgument("contrastiveLoss: temperature must be a positive number, got 0.0")) {
            _ = try contrastiveLoss(good, method: .ntxent, temperature: 0)
        }
        expectError(.invalidArgument("contrastiveLoss: sigma must be a positive number, got -1.0")) {
            _ = try contrastiveLoss(good, method: .dclw, sigma: -1)
        }
        expectError(.shapeMismatch(op: "contrastiveLoss", detail: "z must be 2-D (2N × d), got shape [24]")) {
            _ = try contrastiveLoss(good.reshaped([24]), method: .ntxent)
        }
        var values = try good.toArray()
        values[7] = .nan
        expectError(.invalidArgument("contrastiveLoss: z[2, 1] is nan; the input must be finite")) {
            _ = try contrastiveLoss(Tensor(values, shape: [8, 3], on: .cpu), method: .ntxent)
        }
    }
}
