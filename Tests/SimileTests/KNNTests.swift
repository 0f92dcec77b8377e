import Testing
@testable import Simile

@Suite struct KNNTests {
    /// Random features and labels, with near-ties checked away by the caller.
    private struct Problem {
        let train: [Float], test: [Float], trainLabels: [Int], testLabels: [Int], d: Int, classes: Int

        init(trainRows: Int, testRows: Int, d: Int, classes: Int, seed: UInt64) {
            var generator = SeededGenerator(seed: seed)
            train = randomValues(trainRows * d, seed: seed + 1)
            test = randomValues(testRows * d, seed: seed + 2)
            trainLabels = (0..<trainRows).map { _ in Int(generator.nextUnitFloat() * Float(classes)) % classes }
            testLabels = (0..<testRows).map { _ in Int(generator.nextUnitFloat() * Float(classes)) % classes }
            (self.d, self.classes) = (d, classes)
        }

        func run(on device: Device, k: Int, temperature: Double) throws -> ClassificationAccuracy {
            try knnClassify(train: Tensor(train, shape: [trainLabels.count, d], on: device), trainLabels: trainLabels,
                            test: Tensor(test, shape: [testLabels.count, d], on: device), testLabels: testLabels,
                            classes: classes, k: k, temperature: temperature)
        }

        func reference(k: Int, temperature: Double) -> (top1: Double, top5: Double, predictions: [Int], scores: [Double]) {
            Reference.knnClassify(train: train.map(Double.init), trainLabels: trainLabels, test: test.map(Double.init),
                                  testLabels: testLabels, cols: d, classes: classes, k: k, temperature: temperature)
        }

        /// Test rows where float32 could decide differently from float64: the k-th and (k+1)-th similarities within
        /// 1e-5, or two class scores next to each other in the ranking within a relative 1e-4.
        func nearTies(k: Int, scores: [Double]) -> Int {
            let trainRows = trainLabels.count, testRows = testLabels.count
            let trainUnits = Reference.l2Normalize(train.map(Double.init), rows: trainRows, cols: d, eps: 1e-12).y
            let testUnits = Reference.l2Normalize(test.map(Double.init), rows: testRows, cols: d, eps: 1e-12).y
            return (0..<testRows).filter { i in
                let s = (0..<trainRows).map { j in (0..<d).reduce(0) { $0 + testUnits[i * d + $1] * trainUnits[j * d + $1] } }
                    .sorted(by: >)
                let ranked = scores[i * classes..<(i + 1) * classes].sorted(by: >)
                let boundaryTie = k < trainRows && s[k - 1] - s[k] < 1e-5
                return boundaryTie || zip(ranked, ranked.dropFirst()).contains { $0 - $1 < 1e-4 * $0 }
            }.count
        }
    }

    @Test("accuracies and predictions match the float64 definition", arguments: TestBackend.allCases)
    func matchesReference(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let problem = Problem(trainRows: 300, testRows: 60, d: 8, classes: 6, seed: 14)
        for (k, temperature) in [(20, 0.1), (1, 0.1), (7, 0.5), (500, 0.07)] {
            let expected = problem.reference(k: k, temperature: temperature)
            try #require(problem.nearTies(k: k, scores: expected.scores) == 0, "near-ties at k=\(k) T=\(temperature)")
            let result = try problem.run(on: device, k: k, temperature: temperature)
            #expect(result.predictions == expected.predictions, "k=\(k) T=\(temperature)")
            #expect(result.top1 == expected.top1 && result.top5 == expected.top5, "k=\(k) T=\(temperature)")
            #expect(result.topCount == 5)
        }
    }

    @Test("two separated clusters are classified exactly; with two classes top-5 is top-2", arguments: TestBackend.allCases)
    func twoClusters(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let d = 4, noise = randomValues(64 * d, seed: 5)
        // Row r lies near +e0 (class 0) or −e0 (class 1): cosine > 0.9 within a class, < −0.9 across.
        let rows = (0..<64).map { r in (0..<d).map { c in (c == 0 ? (r % 2 == 0 ? 1 : -1) : 0) + 0.1 * noise[r * d + c] } }
        let labels = (0..<64).map { $0 % 2 }
        let result = try knnClassify(train: Tensor(Array(rows[..<48].joined()), shape: [48, d], on: device),
                                     trainLabels: Array(labels[..<48]),
                                     test: Tensor(Array(rows[48...].joined()), shape: [16, d], on: device),
                                     testLabels: Array(labels[48...]), classes: 2, k: 30)
        #expect(result.top1 == 1 && result.top5 == 1 && result.topCount == 2)
        #expect(result.predictions == Array(labels[48...]))
    }

    @Test("exact ties: the lower train index is kept, and equal class scores rank the lower class first",
          arguments: TestBackend.allCases)
    func ties(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        // Train rows 0 and 1 are the same point with labels 2 and 1; with k = 1 row 0 (class 2) is kept.
        // With k = 2 both vote equally and class 1 ranks first.
        let train = try Tensor([1, 0, 1, 0, -1, 0], shape: [3, 2], on: device)
        let test = try Tensor([2, 0], shape: [1, 2], on: device)
        let one = try knnClassify(train: train, trainLabels: [2, 1, 0], test: test, testLabels: [2], classes: 3, k: 1)
        #expect(one.predictions == [2] && one.top1 == 1)
        let two = try knnClassify(train: train, trainLabels: [2, 1, 0], test: test, testLabels: [2], classes: 3, k: 2)
        #expect(two.predictions == [1] && two.top1 == 0 && two.top5 == 1 && two.topCount == 3)
    }

    @Test("20000 train rows × 300 queries run in chunks: the scratch memory is knnExtraBytes, far below Ntest × Ntrain")
    func largeTrainSet() throws {
        let (trainRows, testRows, d, classes) = (20000, 300, 16, 10)
        // Class c's rows scatter around a random centre of its own.
        let centres = randomValues(classes * d, seed: 90), noise = randomValues((trainRows + testRows) * d, seed: 91)
        let label = { (row: Int) in row % classes }
        let features = (0..<(trainRows + testRows) * d).map { centres[label($0 / d) * d + $0 % d] + 0.3 * noise[$0] }
        let train = try Tensor(Array(features[..<(trainRows * d)]), shape: [trainRows, d], on: .cpu)
        let test = try Tensor(Array(features[(trainRows * d)...]), shape: [testRows, d], on: .cpu)
        let testLabels = (trainRows..<trainRows + testRows).map(label)
        let (result, usage) = try HostMemoryMeter.measure {
            try knnClassify(train: train, trainLabels: (0..<trainRows).map(label), test: test, testLabels: testLabels,
                            classes: classes)
        }
        #expect(result.top1 > 0.9)
        let allowed = knnExtraBytes(trainRows: trainRows, testRows: testRows, features: d) + 16 * 256
        #expect(usage.scratchBytes <= allowed, "scratch \(usage.scratchBytes) bytes > \(allowed)")
        #expect(allowed < testRows * trainRows * MemoryLayout<Float>.stride)
        guard let device = try TestBackend.opencl.open() else { return }
        let onDevice = try knnClassify(train: train.to(device), trainLabels: (0..<trainRows).map(label),
                                       test: test.to(device), testLabels: testLabels, classes: classes)
        #expect(abs(onDevice.top1 - result.top1) <= 2.0 / Double(testRows))
    }

    @Test("bad input is one clear error")
    func badInput() throws {
        let train = try Tensor.uniform([4, 3], seed: 1, on: .cpu), test = try Tensor.uniform([2, 3], seed: 2, on: .cpu)
        let labels = [0, 1, 2, 1], testLabels = [1, 0]
        func run(train: Tensor = train, trainLabels: [Int] = labels, test: Tensor = test, testLabels: [Int] = testLabels,
                 classes: Int = 3, k: Int = 2, temperature: Double = 0.1) throws {
            _ = try knnClassify(train: train, trainLabels: trainLabels, test: test, testLabels: testLabels,
                                classes: classes, k: k, temperature: temperature)
        }
        expectError(.shapeMismatch(op: "knnClassify", detail: "train [4, 3] and test [3, 2] differ in features d")) {
            try run(test: test.reshaped([3, 2]), testLabels: [0, 0, 0])
        }
        expectError(.shapeMismatch(op: "knnClassify", detail: "trainLabels has 3 labels for 4 feature rows [4, 3]")) {
            try run(trainLabels: [0, 1, 2])
        }
        expectError(.shapeMismatch(op: "knnClassify", detail: "testLabels has 3 labels for 2 feature rows [2, 3]")) {
            try run(testLabels: [0, 1, 2])
        }
        expectError(.invalidArgument("knnClassify: trainLabels[2] = 3 is outside the classes 0..<3")) {
            try run(trainLabels: [0, 1, 3, 1])
        }
        expectError(.invalidArgument("knnClassify: testLabels[0] = -1 is outside the classes 0..<3")) {
            try run(testLabels: [-1, 0])
        }
        expectError(.invalidArgument("knnClassify: classes must be ≥ 1, got 0")) { try run(classes: 0) }
        expectError(.invalidArgument("knnClassify: k must be ≥ 1, got 0")) { try run(k: 0) }
        for temperature in [0, -1, Double.infinity, .nan] {
            expectError(.invalidArgument("knnClassify: temperature must be > 0 and finite, got \(temperature)")) {
                try run(temperature: temperature)
            }
        }
        expectError(.invalidArgument("knnClassify: train has no rows (shape [0, 3]); at least 1 is needed")) {
            try run(train: Tensor.zeros([0, 3], on: .cpu), trainLabels: [])
        }
        expectError(.invalidArgument("knnClassify: test has no rows (shape [0, 3]); at least 1 is needed")) {
            try run(test: Tensor.zeros([0, 3], on: .cpu), testLabels: [])
        }
        var values = try test.toArray()
        values[4] = .nan
        expectError(.invalidArgument("knnClassify: test[1, 1] is nan; the input must be finite")) {
            try run(test: Tensor(values, shape: [2, 3], on: .cpu))
        }
        guard let device = try TestBackend.opencl.open() else { return }
        expectError(.deviceMismatch(op: "knnClassify", detail: "\(train) and \(try test.to(device))")) {
            try run(test: test.to(device))
        }
    }
}
