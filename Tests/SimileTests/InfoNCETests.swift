import Testing
@testable import Simile

/// Every (backend, memory-bank variant) pair: the CPU backend, and each OpenCL kernel variant.
let memoryBankTargets: [(TestBackend, GemmKernel?)] = [(.cpu, nil)] + GemmKernel.allCases.map { (.opencl, $0) }

@Suite struct InfoNCETests {
    /// q = (2, 0), k = (1, 1), bank = [(0, 3)], τ = 1, worked by hand: s+ = 1/√2, s_1 = 0,
    /// ℓ = −1/√2 + log(e^(1/√2) + 1); P+ = e^(1/√2)/(e^(1/√2) + 1), dq̂ = (P+ − 1) k̂ + (1 − P+) b̂,
    /// dk̂ = (P+ − 1) q̂, each projected off its unit row and divided by its norm.
    static let hand = (loss: 0.400_833_526_470_702_4, dq: [0, 0.048_362_30], dk: [-0.116_756_92, 0.116_756_92])

    @Test("the float64 reference gives the hand-computed N = 1, K = 1, d = 2 case")
    func referenceHandComputed() {
        let expected = Reference.infoNCELoss(queries: [2, 0], keys: [1, 1], bank: [0, 3], rows: 1, bankRows: 1, cols: 2,
                                             temperature: 1)
        #expect(abs(expected.loss - Self.hand.loss) < 1e-12)
        #expect(zip(expected.queryGradient, Self.hand.dq).allSatisfy { abs($0 - $1) < 1e-7 })
        #expect(zip(expected.keyGradient, Self.hand.dk).allSatisfy { abs($0 - $1) < 1e-7 })
    }

    @Test("the float64 reference's gradients match its own finite differences")
    func referenceFiniteDifferences() {
        let (n, k, d) = (3, 4, 3), temperature = 0.3
        let q = randomValues(n * d, seed: 90).map(Double.init), keys = randomValues(n * d, seed: 91).map(Double.init)
        let bank = randomValues(k * d, seed: 92).map(Double.init)
        func loss(_ q: [Double], _ keys: [Double]) -> Double {
            Reference.infoNCELoss(queries: q, keys: keys, bank: bank, rows: n, bankRows: k, cols: d,
                                  temperature: temperature).loss
        }
        let expected = Reference.infoNCELoss(queries: q, keys: keys, bank: bank, rows: n, bankRows: k, cols: d,
                                             temperature: temperature)
        let step = 1e-6
        for x in 0..<n * d {
            var plus = q, minus = q, keysPlus = keys, keysMinus = keys
            plus[x] += step
            minus[x] -= step
            keysPlus[x] += step
            keysMinus[x] -= step
            #expect(abs((loss(plus, keys) - loss(minus, keys)) / (2 * step) - expected.queryGradient[x]) < 1e-7)
            #expect(abs((loss(q, keysPlus) - loss(q, keysMinus)) / (2 * step) - expected.keyGradient[x]) < 1e-7)
        }
    }

    @Test("the fused loss gives the hand-computed case", arguments: memoryBankTargets)
    func handComputed(backend: TestBackend, kernel: GemmKernel?) throws {
        guard let device = try backend.open() else { return }
        let result = try infoNCELoss(queries: Tensor([2, 0], shape: [1, 2], on: device),
                                     keys: Tensor([1, 1], shape: [1, 2], on: device),
                                     bank: Tensor([0, 3], shape: [1, 2], on: device), temperature: 1, kernel: kernel)
        #expect(abs(Double(try result.value()) - Self.hand.loss) < 1e-6)
        expectClose(try result.queryGradient.toArray(), Self.hand.dq, tolerance: 1e-6, "dq")
        expectClose(try result.keyGradient.toArray(), Self.hand.dk, tolerance: 1e-6, "dk")
    }

    /// (N, K): one query, a few, and 257 (not a multiple of any panel or tile); banks of 1, 5 and 1000 rows.
    static let sizes: [(n: Int, k: Int)] = [(1, 1), (3, 5), (257, 1000), (1, 1000), (257, 5)]

    @Test("fused loss and gradients match the float64 reference that materialises the logits",
          arguments: [0.05, 1.0] as [Float])
    func matchesReference(temperature: Float) throws {
        let d = 9
        for (n, k) in Self.sizes {
            let seed = UInt64(n * 1000 + k)
            let q = randomValues(n * d, seed: seed), keys = randomValues(n * d, seed: seed + 1)
            let bank = randomValues(k * d, seed: seed + 2)
            try Self.expectAllMatch((q, keys, bank), rows: n, bankRows: k, features: d, temperature: temperature,
                                    "N=\(n) K=\(k)")
        }
    }

    /// Queries, keys and a bank whose logits lie far below 1/τ, where a fixed shift by 1/τ underflows. Query i points
    /// along e_g, g = i mod 5 (plus a little noise in features 5..9), its key at about `keyCosines[g]` to it (nearly
    /// opposite by default); every bank row is strongly negative (cosine ≈ −0.44 with every query) except the
    /// `planted` rows, which have about the given cosine with the queries of their group and 0 with the others.
    /// Rows get random norms in [0.5, 1.5].
    static func farBelowMaximum(rows n: Int, bankRows k: Int, features d: Int,
                                planted: [(row: Int, group: Int, cosine: Float)],
                                keyCosines: [Float] = Array(repeating: -0.95, count: 5), seed: UInt64)
        -> (queries: [Float], keys: [Float], bank: [Float]) {
        let groups = 5, noise = 5..<10, spare = 10..<d
        let uniform = randomValues((2 * n + k) * d, seed: seed), norms = randomValues(2 * n + k, seed: seed + 1)
        /// Row r of the uniform noise on `features`, scaled to length `length`.
        func direction(_ r: Int, _ features: Range<Int>, length: Float) -> [Float] {
            var row = [Float](repeating: 0, count: d)
            for c in features { row[c] = uniform[r * d + c] }
            let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return row.map { $0 * length / norm }
        }
        /// Row r: `cosine` along e_group, the rest on the spare features, at a random norm.
        func along(_ r: Int, group: Int, cosine: Float) -> [Float] {
            var row = direction(r, spare, length: (1 - cosine * cosine).squareRoot())
            row[group] = cosine
            return row.map { $0 * (1 + norms[r] / 2) }
        }
        var queries = [Float](), keys = [Float](), bank = [Float]()
        for i in 0..<n {
            var q = direction(i, noise, length: 0.05)
            q[i % groups] = 1
            queries += q.map { $0 * (1 + norms[i] / 2) }
            keys += along(n + i, group: i % groups, cosine: keyCosines[i % groups])
        }
        for j in 0..<k {
            let r = 2 * n + j
            if let plant = planted.first(where: { $0.row == j }) {
                bank += along(r, group: plant.group, cosine: plant.cosine)
            } else {
                var row = direction(r, spare, length: 0.5)
                for g in 0..<groups { row[g] = -1 }
                bank += row.map { $0 * (1 + norms[r] / 2) }
            }
        }
        return (queries, keys, bank)
    }

    /// Runs every target on `inputs` and expects each to match the float64 reference: the loss within 1e-5 relative,
    /// each gradient within 1e-4 of its largest entry.
    static func expectAllMatch(_ inputs: (queries: [Float], keys: [Float], bank: [Float]), rows n: Int,
                               bankRows k: Int, features d: Int, temperature: Float, _ label: String,
                               sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = Reference.infoNCELoss(queries: inputs.queries.map(Double.init),
                                             keys: inputs.keys.map(Double.init), bank: inputs.bank.map(Double.init), rows: n, bankRows: k, cols: d,
                                             temperature: Double(temperature))
        for (backend, kernel) in memoryBankTargets {
            guard let device = try backend.open() else { continue }
            let result = try infoNCELoss(queries: Tensor(inputs.queries, shape: [n, d], on: device),
                                         keys: Tensor(inputs.keys, shape: [n, d], on: device),
                                         bank: Tensor(inputs.bank, shape: [k, d], on: device),
                                         temperature: temperature, kernel: kernel)
            let target = "\(label) \(backend) \(kernel?.rawValue ?? "") τ=\(temperature)"
            let loss = try result.value()
            #expect(abs(Double(loss) - expected.loss) <= 1e-5 * max(1, abs(expected.loss)),
                    "\(target): loss \(loss) vs \(expected.loss)", sourceLocation: sourceLocation)
            for (name, actual, reference) in [("dq", result.queryGradient, expected.queryGradient),
                                              ("dk", result.keyGradient, expected.keyGradient)] {
                #expect(actual.shape == [n, d], "\(target): \(name) shape \(actual.shape)",
                        sourceLocation: sourceLocation)
                let largest = reference.map(abs).max()!
                let error = zip(try actual.toArray(), reference).map { abs(Double($0) - $1) }.max()!
                // Terms of size 1/(Nτ) cancel where the loss saturates: float32 keeps ~1e-6 of them.
                let cancellation = 1e-6 / (Double(n) * Double(temperature))
                #expect(error <= 1e-4 * largest + cancellation,
                        "\(target): \(name) error \(error), largest entry \(largest)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("exact at every temperature when the logits lie far below 1/τ (a fixed shift by 1/τ would underflow)",
          arguments: [1e-30, 0.005, 0.01, 0.02, 0.05, 0.07, 0.1, 0.2, 0.5, 1] as [Float])
    func farBelowOneOverTemperature(temperature: Float) throws {
        // Each group's top bank rows, at cosines from 0.97 (near the query) down to 0.1; group 4 has none, so its
        // largest logits are the other groups' rows, at cosine 0.
        let (n, k, d) = (37, 300, 16), tops: [Float] = [0.97, 0.6, 0.3, 0.1]
        let planted = tops.enumerated().flatMap { group, top -> [(row: Int, group: Int, cosine: Float)] in
            let offsets: [(row: Int, cosine: Float)] = [(7, 0), (40, -0.01), (41, -0.03)]
            return offsets.map { (row: $0.row + 61 * group, group: group, cosine: top + $0.cosine) }
        }
        try Self.expectAllMatch(Self.farBelowMaximum(rows: n, bankRows: k, features: d, planted: planted, seed: 300),
                                rows: n, bankRows: k, features: d, temperature: temperature, "far below 1/τ")
    }

    @Test("at small τ the running shift carries across OpenCL launches and rises in later ones past terms that count")
    func shiftRisesInLaterChunks() throws {
        // 1 MiB chunks of d = 260 are about 1000 rows; τ = 0.005, so 0.2 of cosine is 40 in logits, the OpenCL
        // kernels' rescale slack. For each pattern, group g has its key and bank rows 10, 20, 1100, 2300 and 2450 (+ g)
        // at the cosines listed, less 0.01g (the other groups' planted rows are at cosine 0).
        // - CPU: row 10 lies τ below the key (a term that counts), row 20 raises the maximum by 2τ, so the CPU's
        //   rescale meets that stored term; rows in the second and third chunk raise it by τ each.
        // - OpenCL: row 10 lies 39 logits above the key (no rescale), row 20 41 (a rescale, with row 10's term at
        //   e^−2 where they are in different blocks), row 1100 39 above row 20 (no rescale), row 2300 41 (a rescale
        //   in the third chunk, with the second chunk's term at e^−2).
        let patterns: [(key: Float, rows: [Float])] = [(0.43, [0.425, 0.44, 0.445, 0.45, 0.3]),
                                                       (-0.05, [0.145, 0.155, 0.35, 0.36, 0.25])]
        let (n, k, d) = (5, 2500, 260), temperature: Float = 0.005
        for (key, cosines) in patterns {
            let planted = (0..<5).flatMap { group -> [(row: Int, group: Int, cosine: Float)] in
                zip([10, 20, 1100, 2300, 2450], cosines).map {
                    (row: $0.0 + group, group: group, cosine: $0.1 - 0.01 * Float(group))
                }
            }
            let keyCosines = (0..<5).map { key - 0.01 * Float($0) }
            try Self.expectAllMatch(Self.farBelowMaximum(rows: n, bankRows: k, features: d, planted: planted,
                                                         keyCosines: keyCosines, seed: 400),
                                    rows: n, bankRows: k, features: d, temperature: temperature, "key at \(key)")
        }
    }

    @Test("a bank of several OpenCL launches (1 MiB chunks: about 1000 rows of d = 260) carries the sums across them",
          arguments: memoryBankTargets)
    func severalChunks(backend: TestBackend, kernel: GemmKernel?) throws {
        guard let device = try backend.open() else { return }
        let (n, k, d) = (5, 1100, 260), temperature: Float = 0.1
        let q = randomValues(n * d, seed: 70), keys = randomValues(n * d, seed: 71), bank = randomValues(k * d, seed: 72)
        let expected = Reference.infoNCELoss(queries: q.map(Double.init), keys: keys.map(Double.init),
                                             bank: bank.map(Double.init), rows: n, bankRows: k, cols: d,
                                             temperature: Double(temperature))
        let result = try infoNCELoss(queries: Tensor(q, shape: [n, d], on: device), keys: Tensor(keys, shape: [n, d], on: device),
                                     bank: Tensor(bank, shape: [k, d], on: device), temperature: temperature, kernel: kernel)
        #expect(abs(Double(try result.value()) - expected.loss) <= 1e-5 * max(1, abs(expected.loss)))
        expectClose(try result.queryGradient.toArray(), expected.queryGradient, tolerance: 1e-5, "dq")
        expectClose(try result.keyGradient.toArray(), expected.keyGradient, tolerance: 1e-5, "dk")
    }

    /// Near-identical keys and a nearly antipodal bank at τ = 0.1: float64 loss 6.2e-9.
    @Test("a tiny loss and its gradients keep their relative precision, and the loss is never negative",
          arguments: memoryBankTargets)
    func tinyLoss(backend: TestBackend, kernel: GemmKernel?) throws {
        guard let device = try backend.open() else { return }
        let (n, k, d) = (2, 3, 3), temperature: Float = 0.1
        let q: [Float] = [1, 0, 0, 1, 0.03, 0.01], keys: [Float] = [1, 0.02, 0, 1, 0.03, -0.01]
        let bank: [Float] = [-1, 0.01, 0, -1, -0.02, 0.01, -1, 0, -0.03]
        let expected = Reference.infoNCELoss(queries: q.map(Double.init), keys: keys.map(Double.init),
                                             bank: bank.map(Double.init), rows: n, bankRows: k, cols: d,
                                             temperature: Double(temperature))
        let result = try infoNCELoss(queries: Tensor(q, shape: [n, d], on: device),
                                     keys: Tensor(keys, shape: [n, d], on: device),
                                     bank: Tensor(bank, shape: [k, d], on: device), temperature: temperature,
                                     kernel: kernel)
        let loss = try result.value()
        #expect(loss >= 0 && abs(Double(loss) - expected.loss) <= 1e-3 * expected.loss,
                "loss \(loss) vs \(expected.loss)")
        for (name, actual, reference) in [("dq", result.queryGradient, expected.queryGradient),
                                          ("dk", result.keyGradient, expected.keyGradient)] {
            let largest = reference.map(abs).max()!
            let error = zip(try actual.toArray(), reference).map { abs(Double($0) - $1) }.max()!
            #expect(error <= 1e-3 * largest, "\(name) error \(error), largest entry \(largest)")
        }
    }

    @Test("gradients match finite differences of the fused loss", arguments: memoryBankTargets)
    func finiteDifferenceCheck(backend: TestBackend, kernel: GemmKernel?) throws {
        guard let device = try backend.open() else { return }
        let (n, k, d) = (3, 5, 4)
        let q = randomValues(n * d, seed: 80), keys = randomValues(n * d, seed: 81)
        let bank = try Tensor(randomValues(k * d, seed: 82), shape: [k, d], on: device)
        for (temperature, step, tolerance) in [(1, 1e-2, 2e-3), (0.05, 1e-3, 1e-2)] as [(Float, Float, Double)] {
            func loss(_ q: [Float], _ keys: [Float]) throws -> Double {
                Double(try infoNCELoss(queries: Tensor(q, shape: [n, d], on: device),
                                       keys: Tensor(keys, shape: [n, d], on: device), bank: bank,
                                       temperature: temperature, kernel: kernel).value())
            }
            let result = try infoNCELoss(queries: Tensor(q, shape: [n, d], on: device),
                                         keys: Tensor(keys, shape: [n, d], on: device), bank: bank,
                                         temperature: temperature, kernel: kernel)
            expectClose(try result.queryGradient.toArray(), try finiteDifferences(q, step: step) { try loss($0, keys) },
                        tolerance: tolerance, "dq vs finite differences, τ=\(temperature)")
            expectClose(try result.keyGradient.toArray(), try finiteDifferences(keys, step: step) { try loss(q, $0) },
                        tolerance: tolerance, "dk vs finite differences, τ=\(temperature)")
        }
    }

    @Test("bad input is one clear error")
    func badInput() throws {
        let q = try Tensor.uniform([4, 3], seed: 1, on: .cpu), bank = try Tensor.uniform([6, 3], seed: 2, on: .cpu)
        func loss(_ q: Tensor, _ k: Tensor, _ bank: Tensor, _ temperature: Float = 0.1) throws {
            _ = try infoNCELoss(queries: q, keys: k, bank: bank, temperature: temperature).value()
        }
        expectError(.shapeMismatch(op: "infoNCELoss", detail: "bank must be 2-D, got shape [18]")) {
            try loss(q, q, bank.reshaped([18]))
        }
        expectError(.shapeMismatch(op: "infoNCELoss", detail: "queries [4, 3] and bank [3, 6] differ in features d")) {
            try loss(q, q, bank.reshaped([3, 6]))
        }
        expectError(.shapeMismatch(op: "infoNCELoss", detail: "queries [4, 3] and keys [2, 6] differ in features d")) {
            try loss(q, q.reshaped([2, 6]), bank)
        }
        expectError(.shapeMismatch(op: "infoNCELoss",
                                   detail: "queries [4, 3] and keys [6, 3] need the same number of rows")) {
            try loss(q, bank, bank)
        }
        expectError(.invalidArgument("infoNCELoss: queries has no rows (shape [0, 3]); at least 1 is needed")) {
            try loss(Tensor.zeros([0, 3], on: .cpu), Tensor.zeros([0, 3], on: .cpu), bank)
        }
        expectError(.invalidArgument("infoNCELoss: bank has no rows (shape [0, 3]); at least 1 is needed")) {
            try loss(q, q, Tensor.zeros([0, 3], on: .cpu))
        }
        expectError(.invalidArgument("infoNCELoss: the rows have no features (queries [4, 0])")) {
            try loss(Tensor.zeros([4, 0], on: .cpu), Tensor.zeros([4, 0], on: .cpu), Tensor.zeros([6, 0], on: .cpu))
        }
        for temperature in [1e-31, 0, -1, .infinity, .nan] as [Float] {
            expectError(.invalidArgument("infoNCELoss: temperature must be a finite number ≥ 1e-30 (smaller values "
                                         + "overflow float32 logits), got \(temperature)")) {
                try loss(q, q, bank, temperature)
            }
        }
        var values = try bank.toArray()
        values[7] = .infinity
        expectError(.invalidArgument("infoNCELoss: bank[2, 1] is inf; the input must be finite")) {
            try loss(q, q, Tensor(values, shape: [6, 3], on: .cpu))
        }
        values[7] = .nan
        expectError(.invalidArgument("infoNCELoss: keys[2, 1] is nan; the input must be finite")) {
            try loss(q, Tensor(Array(values[..<12]), shape: [4, 3], on: .cpu), bank)
        }
        guard let device = try TestBackend.opencl.open() else { return }
        expectError(.deviceMismatch(op: "infoNCELoss", detail: "\(q) and \(try bank.to(device))")) {
            try loss(q, q, try bank.to(device))
        }
        expectError(.invalidArgument("infoNCELoss: queries[2, 1] is nan; the input must be finite")) {
            let bad = try Tensor(Array(values[..<12]), shape: [4, 3], on: device)
            try loss(bad, bad, try bank.to(device))
        }
    }
}
