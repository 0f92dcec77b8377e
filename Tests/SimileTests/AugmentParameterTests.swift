import Testing
@testable import Simile

@Suite struct AugmentParameterTests {
    private static let cifar = AugmentationConfig.simclr(size: 32, channels: 3, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25])

    private func draw(_ count: Int, seed: UInt64, height: Int = 32, width: Int = 32,
                      config: AugmentationConfig = cifar) throws -> [ViewParameters] {
        var generator = SeededGenerator(seed: seed)
        return try (0..<count).map { _ in
            try ViewParameters.draw(sourceHeight: height, sourceWidth: width, config: config, generator: &generator)
        }
    }

    @Test("the same seed draws the same parameters; another seed others")
    func reproducible() throws {
        #expect(try draw(64, seed: 5) == draw(64, seed: 5))
        #expect(try draw(64, seed: 5) != draw(64, seed: 6))
    }

    @Test("crop boxes always lie inside the image", arguments: [(32, 32), (1, 1), (5, 300), (300, 7), (96, 64)])
    func cropsInside(size: (Int, Int)) throws {
        for view in try draw(2000, seed: 7, height: size.0, width: size.1) {
            let crop = view.crop
            #expect(crop.top >= 0 && crop.left >= 0 && crop.height > 0 && crop.width > 0
                    && crop.top + crop.height <= size.0 && crop.left + crop.width <= size.1, "\(crop) in \(size)")
        }
    }

    @Test("impossible scale and ratio take torchvision's centre-crop fallback")
    func fallback() throws {
        var config = Self.cifar
        // The whole area at a ratio of at least 2 never fits a square: the fallback clips the square to ratio 2.
        config.crop = .init(scale: Interval(1, 1), ratio: Interval(2, 3))
        #expect(try draw(20, seed: 8, height: 30, width: 30, config: config).allSatisfy {
            $0.crop == .init(top: 7, left: 0, height: 15, width: 30)
        })
        // A wide image with ratios below its own: its full height, the width clipped to ratio 4/3, centred.
        config.crop = .init(scale: Interval(1, 1))
        #expect(try draw(5, seed: 9, height: 10, width: 40, config: config).allSatisfy {
            $0.crop == .init(top: 0, left: 13, height: 10, width: 13)
        })
        // Crops that round to no pixel at all, on an image whose own ratio is in range: the whole image.
        config.crop = .init(scale: Interval(0.01, 0.01))
        #expect(try draw(5, seed: 9, height: 2, width: 2, config: config).allSatisfy {
            $0.crop == .init(top: 0, left: 0, height: 2, width: 2)
        })
    }

    @Test("coins, order and factors follow the config's probabilities and ranges")
    func distributions() throws {
        let views = try draw(4000, seed: 10)
        func rate(_ predicate: (ViewParameters) -> Bool) -> Double { Double(views.filter(predicate).count) / 4000 }
        #expect(abs(rate(\.flip) - 0.5) < 0.03)
        #expect(abs(rate { !$0.jitter.isEmpty } - 0.8) < 0.03)
        #expect(abs(rate(\.grayscale) - 0.2) < 0.03)
        #expect(views.allSatisfy { $0.blur == nil })
        let jittered = views.filter { !$0.jitter.isEmpty }
        #expect(jittered.allSatisfy { Set($0.jitter.map(\.kind)).count == 4 })
        #expect(Set(jittered.map { $0.jitter.map(\.kind.rawValue) }).count == 24, "every order of the four ops")
        for step in jittered.flatMap(\.jitter) {
            let range: ClosedRange<Float> = step.kind == .hue ? -0.1...0.1 : 0.6...1.4
            #expect(range.contains(step.factor), "\(step.kind) \(step.factor)")
        }
    }

    @Test("solarisation: a coin of its probability at threshold 0.5, drawn last and only when on")
    func solarizeCoin() throws {
        let off = try draw(4000, seed: 13)
        #expect(off.allSatisfy { $0.solarize == nil })
        let on = try draw(4000, seed: 13, config: Self.cifar.with(solarizeProbability: 0.2))
        #expect(abs(Double(on.filter { $0.solarize != nil }.count) / 4000 - 0.2) < 0.03)
        #expect(on.allSatisfy { $0.solarize == nil || $0.solarize == 0.5 })
        // Each view's other ops are the ones drawn without it (the first view of a seed: its coin follows them).
        var first = try draw(1, seed: 14, config: Self.cifar.with(solarizeProbability: 1))[0]
        #expect(first.solarize == 0.5)
        first.solarize = nil
        #expect(first == (try draw(1, seed: 14))[0])
    }

    @Test("with(blurProbability:solarizeProbability:) changes only what it names; a chain without a blur keeps none")
    func viewChain() {
        let stl = AugmentationConfig.simclr(size: 96, channels: 3, mean: [], std: [])
        var expected = stl
        expected.blur?.probability = 0.1
        expected.solarizeProbability = 0.2
        #expect(stl.with(blurProbability: 0.1, solarizeProbability: 0.2) == expected)
        #expect(stl.with() == stl)
        #expect(stl.with(solarizeProbability: 0.2).blur == stl.blur)
        #expect(Self.cifar.with(blurProbability: 1).blur == nil)
        #expect(Self.cifar.with(blurProbability: 1) == Self.cifar)
    }

    @Test("presets: digits never flip and, like all 1-channel data, get no saturation, hue or grayscale; blur from 96 up")
    func presets() throws {
        let digits = AugmentationConfig.digits(size: 16, mean: [0.3], std: [0.35])
        #expect(digits.flipProbability == 0 && digits.channels == 1 && digits.grayscaleProbability == 0)
        #expect(digits.jitter?.saturation == 0 && digits.jitter?.hue == 0)
        for view in try draw(2000, seed: 11, height: 8, width: 8, config: digits) {
            #expect(!view.flip && !view.grayscale)
            #expect(view.jitter.allSatisfy { $0.kind == .brightness || $0.kind == .contrast })
        }
        let gray = AugmentationConfig.simclr(size: 32, channels: 1, mean: [0.5], std: [0.2])
        #expect(gray.flipProbability == 0.5 && gray.jitter?.saturation == 0 && gray.jitter?.hue == 0)
        #expect(AugmentationConfig.simclr(size: 32, channels: 3, mean: [], std: []).blur == nil)
        #expect(AugmentationConfig.simclr(size: 96, channels: 3, mean: [], std: []).blur
                == .init(probability: 0.5, kernelSize: 9, sigma: Interval(0.1, 2)))
        #expect(AugmentationConfig.Blur.kernelSize(forSide: 224) == 23)
        for config in [digits, gray, Self.cifar, .simclr(size: 224, channels: 3, mean: [], std: [])] {
            #expect(throws: Never.self) { try config.validate() }
        }
    }

    @Test("blur weights are torchvision's normalised Gaussian")
    func blurWeights() {
        let weights = ViewParameters.Blur(kernelSize: 5, sigma: 1).weights
        let expected = [0.05448868, 0.24420134, 0.40261995, 0.24420134, 0.05448868]
        #expect(zip(weights, expected).allSatisfy { abs(Double($0) - $1) < 1e-7 }, "\(weights)")
    }

    @Test("jigsaw: drawn last, the pieces a permutation of the cells, each window inside its cell; PIRL's piece ¾ of a cell")
    func jigsawDraw() throws {
        var config = Self.cifar
        config.jigsaw = .pirl(side: 32)
        #expect(config.jigsaw == .init(grid: 3, piece: 8))
        #expect(AugmentationConfig.Jigsaw.pirl(side: 28).piece == 7 && AugmentationConfig.Jigsaw.pirl(side: 96).piece == 24)
        let views = try draw(500, seed: 15, config: config)
        var orders = Set<[Int]>()
        for view in views {
            let jigsaw = try #require(view.jigsaw)
            #expect(jigsaw.grid == 3 && jigsaw.size == 8 && jigsaw.pieces.map(\.cell).sorted() == Array(0..<9))
            for piece in jigsaw.pieces {
                // Cells of 10 × 10 from the top-left corner; the last 2 rows and columns belong to none.
                let (top, left) = (piece.cell / 3 * 10, piece.cell % 3 * 10)
                #expect((top...top + 2).contains(piece.top) && (left...left + 2).contains(piece.left), "\(piece)")
            }
            orders.insert(jigsaw.pieces.map(\.cell))
        }
        #expect(orders.count > 450, "\(orders.count) distinct orders of 500")
        // Every other op is the one drawn without the jigsaw.
        var first = views[0]
        first.jigsaw = nil
        #expect(first == (try draw(1, seed: 15))[0])
    }

    @Test("bad configs are one clear error")
    func badConfigs() {
        func expectInvalid(_ message: String, sourceLocation: SourceLocation = #_sourceLocation,
                           _ change: (inout AugmentationConfig) -> Void) {
            var config = Self.cifar
            change(&config)
            expectError(.invalidArgument("augmentation: " + message), sourceLocation: sourceLocation) {
                try config.validate()
            }
            var generator = SeededGenerator(seed: 1)
            expectError(.invalidArgument("augmentation: " + message), sourceLocation: sourceLocation) {
                _ = try ViewParameters.draw(sourceHeight: 8, sourceWidth: 8, config: config, generator: &generator)
            }
        }
        expectInvalid("output size must be positive, got 0×32") { $0.outputHeight = 0 }
        expectInvalid("output size must be positive, got 32×-3") { $0.outputWidth = -3 }
        expectInvalid("channels must be 1 or 3, got 2") { $0.channels = 2 }
        expectInvalid("crop scale must lie in (0, 1], got [0.0, 1.0]") { $0.crop?.scale = Interval(0, 1) }
        expectInvalid("crop scale must lie in (0, 1], got [0.5, 1.5]") { $0.crop?.scale = Interval(0.5, 1.5) }
        expectInvalid("crop scale must be finite with min ≤ max, got [0.9, 0.5]") { $0.crop?.scale = Interval(0.9, 0.5) }
        expectInvalid("crop ratio must be finite with min ≤ max, got [2.0, 1.0]") { $0.crop?.ratio = Interval(2, 1) }
        expectInvalid("crop ratio must be positive, got 0.0") { $0.crop?.ratio = Interval(0, 1) }
        expectInvalid("flip probability must be a probability in [0, 1], got 1.5") { $0.flipProbability = 1.5 }
        expectInvalid("jitter probability must be a probability in [0, 1], got -0.1") { $0.jitter?.probability = -0.1 }
        expectInvalid("grayscale probability must be a probability in [0, 1], got 2.0") { $0.grayscaleProbability = 2 }
        expectInvalid("brightness must be ≥ 0, got -0.4") { $0.jitter?.brightness = -0.4 }
        expectInvalid("hue must be ≤ 0.5, got 0.6") { $0.jitter?.hue = 0.6 }
        expectInvalid("saturation and hue need 3 channels; set them to 0 for 1-channel images") {
            $0.channels = 1
            $0.mean = [0.5]
            $0.std = [0.25]
        }
        expectInvalid("blur kernel size must be odd and positive, got 4") { $0.blur = .init(kernelSize: 4) }
        expectInvalid("blur probability must be a probability in [0, 1], got 1.1") {
            $0.blur = .init(probability: 1.1, kernelSize: 3)
        }
        expectInvalid("blur kernel size 65 needs reflect padding wider than the 32×32 output") {
            $0.blur = .init(kernelSize: 65)
        }
        expectInvalid("blur sigma must be positive, got 0.0") { $0.blur = .init(kernelSize: 3, sigma: Interval(0, 1)) }
        expectInvalid("solarize probability must be a probability in [0, 1], got 1.5") { $0.solarizeProbability = 1.5 }
        expectInvalid("solarize probability must be a probability in [0, 1], got nan") { $0.solarizeProbability = .nan }
        expectInvalid("std must be positive and mean finite, got mean [0.5, 0.5, 0.5], std [0.25, 0.0, 0.25]") {
            $0.std[1] = 0
        }
        expectInvalid("mean and std need one value per channel (3), got 2 and 3") { $0.mean = [0.5, 0.5] }
        expectInvalid("a jigsaw needs a grid ≥ 1 and pieces of 1 pixel up to its cells' side; a 3×3 grid of a 32×32 "
                      + "view has cells of 10×10, and the pieces are 11") { $0.jigsaw = .init(grid: 3, piece: 11) }
        expectInvalid("a jigsaw needs a grid ≥ 1 and pieces of 1 pixel up to its cells' side; a 33×33 grid of a 32×32 "
                      + "view has cells of 0×0, and the pieces are 1") { $0.jigsaw = .init(grid: 33, piece: 1) }
        expectInvalid("a jigsaw needs a grid ≥ 1 and pieces of 1 pixel up to its cells' side; a 0×0 grid of a 32×32 "
                      + "view has cells of 0×0, and the pieces are 1") { $0.jigsaw = .init(grid: 0, piece: 1) }
        var generator = SeededGenerator(seed: 1)
        expectError(.invalidArgument("augmentation: source images must be at least 1×1, got 0×5")) {
            _ = try Self.cifar.drawViews(images: 1, sourceHeight: 0, sourceWidth: 5, generator: &generator)
        }
    }
}
