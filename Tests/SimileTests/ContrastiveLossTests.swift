import Testing
@testable import Simile

@Suite struct ContrastiveLossTests {
    /// (N, d): N not a multiple of any tile size, and 1000 rows per view spanning several row blocks.
    static let sizes: [(n: Int, d: Int)] = [(2, 2), (3, 5), (257, 16), (1000, 4)]

    /// Every (backend, OpenCL variant) pair: the CPU path, then each OpenCL kernel variant forced.
    static let targets: [(TestBackend, GemmKernel?)] = [(.cpu, nil)] + GemmKernel.allCases.map { (.opencl, $0) }

    /// The fused loss of `values` on `backend` (nil when OpenCL is absent and not required).
    static func fused(_ values: [Float], shape: [Int], on backend: TestBackend, kernel: GemmKernel?,
                      method: ContrastiveMethod, temperature: Float) throws -> ContrastiveLossResult? {
        guard let device = try backend.open() else { return nil }
        let z = try Tensor(values, shape: shape, on: device)
        return try contrastiveLoss(z, method: method, temperature: temperature, kernel: kernel)
    }

    @Test("fused loss and gradient match the float64 reference that materialises the matrix, on every backend",
          arguments: ContrastiveMethod.allCases, [0.05, 1.0] as [Float])
    func matchesReference(method: ContrastiveMethod, temperature: Float) throws {
        for (n, d) in Self.sizes {
            let values = randomValues(2 * n * d, seed: UInt64(n * 31 + d))
            let expected = Reference.contrastiveLoss(values.map(Double.init), rows: 2 * n, cols: d, method: method,
                                                     temperature: Double(temperature))
            for (backend, kernel) in Self.targets {
                guard let result = try Self.fused(values, shape: [2 * n, d], on: backend, kernel: kernel,
                                                  method: method, temperature: temperature) else { continue }
                let label = "\(backend) \(kernel?.rawValue ?? "") \(method) τ=\(temperature) N=\(n) d=\(d)"
                Self.expectMatches(result, expected, n: n, d: d, temperature: temperature, label)
            }
        }
    }

    @Test("d = 2048 matches the float64 reference on every backend", arguments: [ContrastiveMethod.ntxent, .dclw])
    func wideFeatures(method: ContrastiveMethod) throws {
        let (n, d) = (3, 2048)
        let values = randomValues(2 * n * d, seed: 7)
        let expected = Reference.contrastiveLoss(values.map(Double.init), rows: 2 * n, cols: d, method: method,
                                                 temperature: 0.05)
        for (backend, kernel) in Self.targets {
            guard let result = try Self.fused(values, shape: [2 * n, d], on: backend, kernel: kernel, method: method,
                                              temperature: 0.05) else { continue }
            Self.expectMatches(result, expected, n: n, d: d, temperature: 0.05,
                          "\(backend) \(kernel?.rawValue ?? "") \(method) d=\(d)")
        }
    }

    /// Expects the loss within `lossTolerance` relative (floored at 1) and every gradient entry within
    /// `gradientTolerance` of the largest one, plus the float32 cancellation allowance below.
    static func expectMatches(_ result: ContrastiveLossResult, _ expected: (loss: Double, gradient: [Double]),
                              n: Int, d: Int, temperature: Float, _ label: String, lossTolerance: Double = 2e-5,
                              gradientTolerance: Double = 2e-4, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let loss = try? result.value() else {
            Issue.record("\(label): loss unreadable", sourceLocation: sourceLocation)
            return
        }
        #expect(abs(Double(loss) - expected.loss) <= lossTolerance * max(1, abs(expected.loss)),
                "\(label): loss \(loss) vs \(expected.loss)", sourceLocation: sourceLocation)
        #expect(result.gradient.shape == [2 * n, d], sourceLocation: sourceLocation)
        guard let gradient = try? result.gradient.toArray() else {
            Issue.record("\(label): gradient unreadable", sourceLocation: sourceLocation)
            return
        }
        let largest = expected.gradient.map(abs).max()!
        let error = zip(gradient, expected.gradient).map { abs(Double($0) - $1) }.max()!
        // Terms of size 1/(Mτ) cancel where the loss saturates: float32 keeps ~1e-6 of them.
        let cancellation = 1e-6 / (Double(2 * n) * Double(temperature))
        #expect(error <= gradientTolerance * largest + cancellation, "\(label): gradient error \(error), largest entry \(largest)",
                sourceLocation: sourceLocation)
    }

    /// NT-Xent losses far below float32's spacing near the logits (about 1e-6 at 1/τ = 10), at τ = 0.1: two
    /// near-identical positive pairs whose negatives are nearly antipodal (float64 loss 4.14e-9), and N = 2, d = 3
    /// rows with close positives and negatives near cosine −0.6 (2.40e-7). lse − s₊ loses such a loss entirely.
    static let tinyLosses: [(label: String, d: Int, values: [Float])] = [
        ("antipodal negatives", 2, [1, 0, -1, 0.01, 1, 0.02, -1, -0.01]),
        ("N = 2, d = 3", 3, [1, 0, 0, -0.6, 0.8, 0, 0.99, 0.02, -0.01, -0.6, 0.79, 0.03]),
    ]

    /// DCL and DCLW, whose losses here are about −19, are checked on the same rows as everywhere else.
    @Test("a tiny NT-Xent loss and its gradient keep their relative precision on every backend, never negative",
          arguments: tinyLosses.indices)
    func tinyLoss(index: Int) throws {
        let (label, d, values) = Self.tinyLosses[index]
        let n = values.count / (2 * d), temperature: Float = 0.1
        for method in ContrastiveMethod.allCases {
            let expected = Reference.contrastiveLoss(values.map(Double.init), rows: 2 * n, cols: d, method: method,
                                                     temperature: Double(temperature))
            for (backend, kernel) in Self.targets {
                guard let result = try Self.fused(values, shape: [2 * n, d], on: backend, kernel: kernel,
                                                  method: method, temperature: temperature) else { continue }
                let target = "\(label) \(backend) \(kernel?.rawValue ?? "") \(method)"
                guard method == .ntxent else {
                    Self.expectMatches(result, expected, n: n, d: d, temperature: temperature, target)
                    continue
                }
                let loss = try result.value()
                #expect(loss >= 0 && abs(Double(loss) - expected.loss) <= 1e-3 * expected.loss,
                        "\(target): loss \(loss) vs \(expected.loss)")
                let largest = expected.gradient.map(abs).max()!
                let error = zip(try result.gradient.toArray(), expected.gradient).map { abs(Double($0) - $1) }.max()!
                #expect(error <= 1e-3 * largest, "\(target): gradient error \(error), largest entry \(largest)")
            }
        }
    }

    @Test("the gradient matches finite differences of the float32 loss on every backend",
          arguments: [ContrastiveMethod.ntxent, .dcl], [0.1, 1.0] as [Float])
    func finiteDifferenceGradient(method: ContrastiveMethod, temperature: Float) throws {
        let (n, d) = (3, 5)
        let values = randomValues(2 * n * d, seed: 11)
        for (backend, kernel) in Self.targets {
            func loss(_ x: [Float]) throws -> Double {
                Double(try Self.fused(x, shape: [2 * n, d], on: backend, kernel: kernel, method: method,
                                      temperature: temperature)!.value())
            }
            guard let analytic = try Self.fused(values, shape: [2 * n, d], on: backend, kernel: kernel, method: method,
                                                temperature: temperature) else { continue }
            let numeric = try finiteDifferences(values, step: 1e-2, loss)
            expectClose(try analytic.gradient.toArray(), numeric, tolerance: 2e-3,
                        "\(backend) \(kernel?.rawValue ?? "") \(method) τ=\(temperature)")
        }
    }

    @Test("the CPU and OpenCL paths agree on N = 768, d = 128", arguments: ContrastiveMethod.allCases)
    func backendsAgree(method: ContrastiveMethod) throws {
        guard let device = try TestBackend.opencl.open() else { return }
        let z = try Tensor.normal([1536, 128], seed: 5, on: .cpu)
        let cpu = try contrastiveLoss(z, method: method, temperature: 0.1)
        let opencl = try contrastiveLoss(z.to(device), method: method, temperature: 0.1)
        let (cpuLoss, openCLLoss) = (try cpu.value(), try opencl.value())
        #expect(abs(cpuLoss - openCLLoss) <= 1e-5 * max(1, abs(cpuLoss)), "\(method): \(cpuLoss) vs \(openCLLoss)")
        let expected = try cpu.gradient.toArray().map(Double.init)
        let largest = expected.map(abs).max()!
        let error = zip(try opencl.gradient.toArray(), expected).map { abs(Double($0) - $1) }.max()!
        #expect(error <= 1e-4 * largest, "\(method): gradient difference \(error), largest entry \(largest)")
    }

    @Test("the CPU loss holds no more host memory than contrastiveLossExtraBytes besides its gradient")
    func cpuScratchMemory() throws {
        let (m, d) = (1200, 32) // more rows than one tile side, so a stored M × M matrix would exceed the bound
        let z = try Tensor.normal([m, d], seed: 9, on: .cpu)
        let (result, usage) = try HostMemoryMeter.measure { try contrastiveLoss(z, method: .dcl) }
        #expect(usage.retainedBytes == m * d * MemoryLayout<Float>.stride + 256,
                "only the gradient and the loss with its check slots (one 256-byte granule) outlive the call")
        let granules = 8 * 256 // each of the call's host buffers is served in 256-byte granules
        #expect(usage.scratchBytes > 0)
        #expect(usage.scratchBytes <= contrastiveLossExtraBytes(rows: m, features: d) + granules,
                "scratch \(usage.scratchBytes) bytes")
        withExtendedLifetime(result) {}
    }

    @Test("the hand-computed N = 2, d = 2 values", arguments: TestBackend.allCases)
    func handComputed(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let z = try Tensor([1, 0, 0, 1, 1, 0, 0, 1], shape: [4, 2], on: device)
        #expect(abs(try contrastiveLoss(z, method: .ntxent, temperature: 1).value() - 0.551_444_7) < 1e-6)
        #expect(abs(try contrastiveLoss(z, method: .dcl, temperature: 1).value() - (-0.306_852_8)) < 1e-6)
        #expect(abs(try contrastiveLoss(z, method: .dclw, temperature: 0.5).value() - (-1.306_852_8)) < 1e-6)
    }

    @Test("bad input is one clear error", arguments: TestBackend.allCases)
    func badInput(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let good = try Tensor.uniform([8, 3], seed: 1, on: device)
        expectError(.invalidArgument("contrastiveLoss: z has 7 rows; it needs 2N (N rows per view)")) {
            _ = try contrastiveLoss(Tensor.zeros([7, 3], on: device), method: .ntxent)
        }
        expectError(.invalidArgument("contrastiveLoss: N = 1 image(s); at least 2 are needed for a negative")) {
            _ = try contrastiveLoss(Tensor.uniform([2, 3], seed: 1, on: device), method: .dcl)
        }
        expectError(.shapeMismatch(op: "contrastiveLoss", detail: "z must be 2-D (2N × d), got shape [24]")) {
            _ = try contrastiveLoss(good.reshaped([24]), method: .ntxent)
        }
        var values = try good.toArray()
        values[7] = .nan
        expectError(.invalidArgument("contrastiveLoss: z[2, 1] is nan; the input must be finite")) {
            _ = try contrastiveLoss(Tensor(values, shape: [8, 3], on: device), method: .ntxent).value()
        }
    }
}
