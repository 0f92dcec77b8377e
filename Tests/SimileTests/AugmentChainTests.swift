import Testing
@testable import Simile

/// A whole-chain problem: `images` source images of `source` = (C, H, W) and a config, two views per image.
private struct ChainCase: CustomTestStringConvertible, Sendable {
    let name: String
    let images: Int
    let source: (channels: Int, height: Int, width: Int)
    let config: AugmentationConfig

    var testDescription: String { name }

    var shape: [Int] { [images, source.channels, source.height, source.width] }

    func views(seed: UInt64) throws -> [(image: Int, parameters: ViewParameters)] {
        var generator = SeededGenerator(seed: seed)
        return try config.drawViews(images: images, sourceHeight: source.height, sourceWidth: source.width,
                                    generator: &generator)
    }

    static let cifarMean: [Float] = [0.4914, 0.4822, 0.4465], cifarStd: [Float] = [0.247, 0.243, 0.261]

    static let jigsawed: AugmentationConfig = {
        var config = AugmentationConfig.simclr(size: 32, channels: 3, mean: cifarMean, std: cifarStd)
        config.jigsaw = .pirl(side: 32)
        return config
    }()

    static let all: [ChainCase] = {
        var blurred = AugmentationConfig.simclr(size: 96, channels: 3, mean: cifarMean, std: cifarStd)
        blurred.blur?.probability = 1
        var sure = AugmentationConfig.simclr(size: 32, channels: 3, mean: cifarMean, std: cifarStd)
        sure.jitter?.probability = 1
        var solarised = sure
        (solarised.blur, solarised.solarizeProbability) = (.init(probability: 1, kernelSize: 3), 1)
        return [
            ChainCase(name: "SimCLR CIFAR, 32×32", images: 12, source: (3, 32, 32),
                      config: .simclr(size: 32, channels: 3, mean: cifarMean, std: cifarStd)),
            ChainCase(name: "SimCLR, jitter always, 40×28 sources to 32×32", images: 8, source: (3, 40, 28), config: sure),
            ChainCase(name: "SimCLR STL, 96×96, blur always", images: 2, source: (3, 96, 96), config: blurred),
            ChainCase(name: "digits, 8×8 to 16×16, 1 channel", images: 10, source: (1, 8, 8),
                      config: .digits(size: 16, mean: [0.3], std: [0.35])),
            ChainCase(name: "BYOL-like, 32×32: jitter, blur k 3 and solarisation always", images: 6, source: (3, 32, 32),
                      config: solarised),
            ChainCase(name: "digits with solarisation p 0.5", images: 10, source: (1, 8, 8),
                      config: AugmentationConfig.digits(size: 16, mean: [0.3], std: [0.35])
                          .with(solarizeProbability: 0.5)),
            ChainCase(name: "PIRL's jigsaw on SimCLR's 32×32 chain", images: 6, source: (3, 32, 32), config: jigsawed),
            ChainCase(name: "PIRL's jigsaw, digits 8×8 to 16×16", images: 6, source: (1, 8, 8), config: {
                var config = AugmentationConfig.digits(size: 16, mean: [0.3], std: [0.35])
                config.jigsaw = .pirl(side: 16)
                return config
            }()),
        ]
    }()
}

@Suite struct AugmentChainTests {
    @Test("whole chain from drawn parameters matches float64", arguments: AugmentTarget.all, ChainCase.all)
    private func chainMatchesReference(target: AugmentTarget, problem: ChainCase) throws {
        guard let device = try target.open() else { return }
        let batch = randomImages(problem.images, channels: problem.source.channels, height: problem.source.height,
                                 width: problem.source.width, seed: 31)
        let (actual, expected) = try augmentWithReference(batch, shape: problem.shape, views: try problem.views(seed: 32),
                                                          config: problem.config, on: device)
        // Normalised values are float32 steps of [0, 1] values divided by std ≈ 0.25.
        expectClose(actual, expected, tolerance: 1e-4, problem.name)
    }

    /// Not bit-identical: the device compiler may contract a·b + c into fma, and sums contrast's mean in float in
    /// another order than the CPU (in Double); each is a rounding of the same float32 steps.
    @Test("CPU and OpenCL make the same views from the same seed, within 1e-4",
          arguments: AugmentTarget.all.filter { $0.backend == .opencl }, ChainCase.all)
    private func backendsAgree(target: AugmentTarget, problem: ChainCase) throws {
        guard let device = try target.open() else { return }
        let batch = randomImages(problem.images, channels: problem.source.channels, height: problem.source.height,
                                 width: problem.source.width, seed: 33)
        let views = try problem.views(seed: 34)
        let cpu = try augment(batch: batch, shape: problem.shape, views: views, config: problem.config, on: .cpu)
        let opencl = try augment(batch: batch, shape: problem.shape, views: views, config: problem.config, on: device)
        let difference = zip(try cpu.toArray(), try opencl.toArray()).map { abs($0 - $1) }.max() ?? 0
        #expect(difference <= 1e-4, "\(problem.name): CPU and OpenCL differ by \(difference)")
        #expect(views.count == 2 * problem.images)
    }

    @Test("bad batches and views are one clear error", arguments: [TestBackend.cpu, .opencl])
    func badInputs(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let config = AugmentationConfig.simclr(size: 8, channels: 3, mean: [], std: [])
        let batch = [UInt8](repeating: 7, count: 2 * 3 * 6 * 5), shape = [2, 3, 6, 5]
        let whole = ViewParameters(crop: .init(top: 0, left: 0, height: 6, width: 5))
        func run(_ batch: [UInt8], _ shape: [Int], _ views: [(image: Int, parameters: ViewParameters)],
                 _ config: AugmentationConfig = config) throws {
            _ = try augment(batch: batch, shape: shape, views: views, config: config, on: device)
        }
        expectError(.shapeMismatch(op: "augment", detail: "180 bytes do not fill shape [2, 3, 6, 6]")) {
            try run(batch, [2, 3, 6, 6], [(0, whole)])
        }
        expectError(.shapeMismatch(op: "augment", detail: "expected a batch shape [N, C, H, W] of positive sizes, got [60]")) {
            try run(batch, [60], [(0, whole)])
        }
        expectError(.shapeMismatch(op: "augment", detail: "the batch has 3 channels, the config 1")) {
            try run(batch, shape, [(0, whole)], .digits(size: 8, mean: [], std: []))
        }
        expectError(.invalidArgument("augment: view 1: image 2 is outside the batch of 2")) {
            try run(batch, shape, [(0, whole), (2, whole)])
        }
        var outside = whole
        outside.crop.left = 1
        expectError(.invalidArgument("augment: view 0: crop [top 0, left 1, 6×5] is not inside the 6×5 image")) {
            try run(batch, shape, [(0, outside)])
        }
        var twice = whole
        twice.jitter = [.init(.contrast, 1.2), .init(.contrast, 0.9)]
        expectError(.invalidArgument("augment: view 0: each jitter op may appear once")) { try run(batch, shape, [(0, twice)]) }
        var even = whole
        even.blur = .init(kernelSize: 4, sigma: 1)
        expectError(.invalidArgument(
            "augment: view 0: blur needs an odd kernel narrower than twice the output and σ > 0, got 4 and 1.0")) {
            try run(batch, shape, [(0, even)])
        }
        var dark = whole
        dark.solarize = 1.5
        expectError(.invalidArgument("augment: view 0: solarize needs a threshold in [0, 1], got 1.5")) {
            try run(batch, shape, [(0, dark)])
        }
        var hue = ViewParameters(crop: .init(top: 0, left: 0, height: 6, width: 5), jitter: [.init(.hue, 0.1)])
        hue.flip = true
        expectError(.invalidArgument("augment: view 0: hue needs 3 channels")) {
            try run([UInt8](repeating: 1, count: 30), [1, 1, 6, 5], [(0, hue)], .digits(size: 8, mean: [], std: []))
        }
        var short = whole
        short.jigsaw = .init(grid: 2, size: 2, pieces: [.init(cell: 0, top: 0, left: 0)])
        expectError(.invalidArgument("augment: view 0: a jigsaw of 1 pieces of 2×2 needs grid² pieces of a grid that "
                                     + "fits the 8×8 output, got grid 2")) { try run(batch, shape, [(0, short)]) }
        var wide = whole
        wide.jigsaw = .init(grid: 5, size: 2, pieces: Array(repeating: .init(cell: 0, top: 0, left: 0), count: 25))
        expectError(.invalidArgument("augment: view 0: a jigsaw of 25 pieces of 2×2 needs grid² pieces of a grid that "
                                     + "fits the 8×8 output, got grid 5")) { try run(batch, shape, [(0, wide)]) }
        var astray = whole
        astray.jigsaw = .init(grid: 2, size: 2, pieces: Array(repeating: .init(cell: 3, top: 4, left: 7), count: 4))
        expectError(.invalidArgument("augment: view 0: jigsaw piece 0 at [top 4, left 7] is not inside the 8×8 view")) {
            try run(batch, shape, [(0, astray)])
        }
        let empty = try augment(batch: batch, shape: shape, views: [], config: config, on: device)
        #expect(empty.shape == [0, 3, 8, 8])
    }
}
