import Testing
@testable import Simile

/// The fused losses at small temperatures, where a fixed shift by 1/τ underflows: every method, backend
/// and OpenCL variant against the float64 reference (which shifts each row by its own maximum).
@Suite struct ContrastiveLossTemperatureTests {
    static let temperatures: [Float] = [0.005, 0.01, 0.02, 0.05, 0.07, 0.1, 0.2, 0.5, 1]

    /// Z (2N × 3N) where every row's largest logit is a negative, its "twin", at cosine 0.08, the other
    /// negatives lie near cosine 0 and the positive at −0.4: at τ = 0.01 the maximum is 92 below 1/τ, so a
    /// fixed shift by 1/τ underflows every term. Rows are near the basis vectors: view 1 of image n is
    /// e_n + 0.3·e_(2N + pair), view 2 is −0.5·e_n + e_(N+n) + 0.3·e_(5N/2 + pair), where images are paired
    /// at random, plus a little noise.
    static func farBelowTheMaximum(n: Int, seed: UInt64) -> [Float] {
        precondition(n % 2 == 0, "images come in twin pairs")
        var generator = SeededGenerator(seed: seed)
        let pairs = Array(0..<n).shuffled(using: &generator)
        let d = 3 * n
        var z = randomValues(2 * n * d, seed: seed + 1).map { 0.01 * $0 }
        for (slot, image) in pairs.enumerated() {
            let pair = slot / 2, view1 = image * d, view2 = (image + n) * d
            z[view1 + image] += 1
            z[view1 + 2 * n + pair] += 0.3
            z[view2 + image] -= 0.5
            z[view2 + n + image] += 1
            z[view2 + 5 * n / 2 + pair] += 0.3
        }
        return z
    }

    /// Random rows (2N × d) in which image n's view 1 and view 2 are nearly opposite and each image has a
    /// twin image at cosine about 0.6, drawn at random: with 2N above the CPU tile side a row's maximum
    /// often turns up in a later tile than its first.
    static func twinsAcrossTiles(n: Int, d: Int, seed: UInt64) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        let pairs = Array(0..<n).shuffled(using: &generator)
        let shared = randomValues(n / 2 * d, seed: seed + 1), own = randomValues(2 * n * d, seed: seed + 2)
        var z = [Float](repeating: 0, count: 2 * n * d)
        for (slot, image) in pairs.enumerated() {
            for c in 0..<d {
                z[image * d + c] = shared[slot / 2 * d + c] + 0.8 * own[image * d + c]
                z[(image + n) * d + c] = -z[image * d + c] + 0.4 * own[(image + n) * d + c]
            }
        }
        return z
    }

    @Test("loss within 1e-5 and gradient within 1e-4 of float64 at every temperature, inputs far below the row maximum",
          arguments: ContrastiveMethod.allCases, temperatures)
    func exactAtEveryTemperature(method: ContrastiveMethod, temperature: Float) throws {
        var inputs = [(n: 8, d: 24, values: Self.farBelowTheMaximum(n: 8, seed: 3))]
        if [0.005, 0.02, 0.1].contains(temperature) {
            inputs.append((600, 32, Self.twinsAcrossTiles(n: 600, d: 32, seed: 4)))
        }
        for (n, d, values) in inputs {
            let expected = Reference.contrastiveLoss(values.map(Double.init), rows: 2 * n, cols: d, method: method,
                                                     temperature: Double(temperature))
            for (backend, kernel) in ContrastiveLossTests.targets {
                guard let result = try ContrastiveLossTests.fused(values, shape: [2 * n, d], on: backend,
                                                                  kernel: kernel, method: method,
                                                                  temperature: temperature) else { continue }
                ContrastiveLossTests.expectMatches(
                    result, expected, n: n, d: d, temperature: temperature,
                    "\(backend) \(kernel?.rawValue ?? "") \(method) τ=\(temperature) N=\(n)",
                    lossTolerance: 1e-5, gradientTolerance: 1e-4)
            }
        }
    }

    @Test("DCLW at a tiny σ matches float64 on every backend")
    func tinySigma() throws {
        let (n, d) = (4, 8)
        let values = randomValues(2 * n * d, seed: 21)
        let expected = Reference.contrastiveLoss(values.map(Double.init), rows: 2 * n, cols: d, method: .dclw,
                                                 temperature: 0.5, sigma: 1e-10)
        for backend in TestBackend.allCases {
            guard let device = try backend.open() else { continue }
            let result = try contrastiveLoss(Tensor(values, shape: [2 * n, d], on: device), method: .dclw,
                                             temperature: 0.5, sigma: 1e-10)
            ContrastiveLossTests.expectMatches(result, expected, n: n, d: d, temperature: 0.5, "\(backend) σ=1e-10",
                                               lossTolerance: 1e-5, gradientTolerance: 1e-4)
        }
    }

    @Test("a temperature or σ whose reciprocal overflows float32 logits is refused with the supported range",
          arguments: TestBackend.allCases)
    func outOfRange(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let z = try Tensor.uniform([8, 3], seed: 1, on: device)
        for value in [1e-45, 1e-31, 0, -1, .infinity, .nan] as [Float] {
            expectError(.invalidArgument("contrastiveLoss: temperature must be a finite number ≥ 1e-30 (smaller values "
                                         + "overflow float32 logits), got \(value)")) {
                _ = try contrastiveLoss(z, method: .ntxent, temperature: value)
            }
            expectError(.invalidArgument("contrastiveLoss: sigma must be a finite number ≥ 1e-30 (smaller values "
                                         + "overflow float32 logits), got \(value)")) {
                _ = try contrastiveLoss(z, method: .dclw, sigma: value)
            }
        }
        #expect(try contrastiveLoss(z, method: .ntxent, temperature: 1e-30).value().isFinite)
    }
}
