import Foundation

/// The random parameters of one augmented view, drawn on the host from a `SeededGenerator`, so that both backends
/// make the same view from the same seed.
public struct ViewParameters: Equatable, Sendable {
    /// A crop box in source pixels, inside the image.
    public struct Crop: Equatable, Sendable {
        public var top: Int
        public var left: Int
        public var height: Int
        public var width: Int

        public init(top: Int, left: Int, height: Int, width: Int) {
            self.top = top
            self.left = left
            self.height = height
            self.width = width
        }
    }

    /// The colour-jitter ops, by their code in the OpenCL parameter record.
    public enum JitterKind: Int, Sendable, CaseIterable {
        case brightness, contrast, saturation, hue
    }

    /// One jitter op and its factor (hue: its shift, in turns).
    public struct JitterStep: Equatable, Sendable {
        public var kind: JitterKind
        public var factor: Float

        public init(_ kind: JitterKind, _ factor: Float) {
            self.kind = kind
            self.factor = factor
        }
    }

    /// A Gaussian blur of an odd `kernelSize` with `sigma`.
    public struct Blur: Equatable, Sendable {
        public var kernelSize: Int
        public var sigma: Float

        public init(kernelSize: Int, sigma: Float) {
            self.kernelSize = kernelSize
            self.sigma = sigma
        }

        /// torchvision's `_get_gaussian_kernel1d`: exp(−x²/(2σ²)) at x = −k/2 … k/2 (integer steps),
        /// normalised to sum 1; computed in float64, then rounded, so both backends use the same weights.
        public var weights: [Float] {
            let half = kernelSize / 2
            let pdf = (-half...half).map { x in exp(-0.5 * pow(Double(x) / Double(sigma), 2)) }
            let total = pdf.reduce(0, +)
            return pdf.map { Float($0 / total) }
        }
    }

    /// A drawn jigsaw (`AugmentationConfig.Jigsaw`): piece t of the rearranged view is the `size` × `size` window
    /// of the unjigsawed view at `pieces[t]`, a window inside cell `pieces[t].cell` (cells numbered row by row).
    public struct Jigsaw: Equatable, Sendable {
        public struct Piece: Equatable, Sendable {
            public var cell: Int
            public var top: Int
            public var left: Int

            public init(cell: Int, top: Int, left: Int) {
                self.cell = cell
                self.top = top
                self.left = left
            }
        }

        public var grid: Int
        public var size: Int
        public var pieces: [Piece]

        public init(grid: Int, size: Int, pieces: [Piece]) {
            self.grid = grid
            self.size = size
            self.pieces = pieces
        }
    }

    public var crop: Crop
    public var flip: Bool
    /// The jitter ops applied, in their drawn order; empty when the jitter was not applied.
    public var jitter: [JitterStep]
    public var grayscale: Bool
    public var blur: Blur?
    /// The threshold t of torchvision's `solarize` when the view is solarised (nil: it is not): x ↦ 1 − x where
    /// x ≥ t, else x, per value. Drawn views use `AugmentationConfig.solarizeThreshold`.
    public var solarize: Float?
    public var jigsaw: Jigsaw?

    public init(crop: Crop, flip: Bool = false, jitter: [JitterStep] = [], grayscale: Bool = false, blur: Blur? = nil,
                solarize: Float? = nil, jigsaw: Jigsaw? = nil) {
        self.crop = crop
        self.flip = flip
        self.jitter = jitter
        self.grayscale = grayscale
        self.blur = blur
        self.solarize = solarize
        self.jigsaw = jigsaw
    }

    /// Draws one view's parameters for a source image of `sourceHeight` × `sourceWidth`, in this order (the crop,
    /// jitter and blur only when `config` has them): the crop (torchvision's RandomResizedCrop.get_params: up to ten
    /// attempts, then the centre crop), the flip's coin, the jitter's coin then its order (a random permutation) and
    /// the factors of the ops with a nonzero strength (brightness, contrast, saturation, hue), the grayscale coin, the
    /// blur's coin then its σ, the solarisation's coin, and last the jigsaw's (only when `config` has one): the cells'
    /// order (a random permutation), then each piece's place inside its cell, row then column offset. Coins and
    /// factors are drawn even when a probability is 0 or 1, so that changing one probability does not shift the draws
    /// of the other ops; the solarisation's coin alone is drawn only when its probability is above 0, so that a chain
    /// without it draws the views it drew before solarisation existed. A bad config or an empty source is one
    /// `SimileError`.
    public static func draw<G: RandomNumberGenerator>(sourceHeight: Int, sourceWidth: Int, config: AugmentationConfig,
                                                      generator: inout G) throws -> ViewParameters {
        try config.validate()
        guard sourceHeight > 0, sourceWidth > 0 else {
            throw SimileError.invalidArgument("augmentation: source images must be at least 1×1, got \(sourceHeight)×\(sourceWidth)")
        }
        func uniform(_ range: Interval) -> Double { Double.random(in: range.lower...range.upper, using: &generator) }
        func coin(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &generator) < probability }

        var view = ViewParameters(crop: Crop(top: 0, left: 0, height: sourceHeight, width: sourceWidth))
        if let crop = config.crop {
            view.crop = drawCrop(height: sourceHeight, width: sourceWidth, crop, &generator)
        }
        view.flip = coin(config.flipProbability)
        if let jitter = config.jitter {
            let applied = coin(jitter.probability)
            let order = JitterKind.allCases.shuffled(using: &generator)
            var factors: [JitterKind: Float] = [:]
            for (kind, strength) in zip(JitterKind.allCases, [jitter.brightness, jitter.contrast,
                                                              jitter.saturation, jitter.hue]) where strength > 0 {
                let range = kind == .hue ? Interval(-strength, strength) : Interval(max(0, 1 - strength), 1 + strength)
                factors[kind] = Float(uniform(range))
            }
            if applied { view.jitter = order.compactMap { kind in factors[kind].map { JitterStep(kind, $0) } } }
        }
        view.grayscale = coin(config.grayscaleProbability) && config.channels == 3
        if let blur = config.blur {
            let applied = coin(blur.probability)
            let sigma = Float(uniform(blur.sigma))
            if applied { view.blur = Blur(kernelSize: blur.kernelSize, sigma: sigma) }
        }
        if config.solarizeProbability > 0, coin(config.solarizeProbability) {
            view.solarize = AugmentationConfig.solarizeThreshold
        }
        if let jigsaw = config.jigsaw {
            let cell = jigsaw.cell(height: config.outputHeight, width: config.outputWidth)
            let order = Array(0 ..< jigsaw.grid * jigsaw.grid).shuffled(using: &generator)
            let pieces = order.map { index in
                Jigsaw.Piece(cell: index,
                             top: index / jigsaw.grid * cell.height
                                 + Int.random(in: 0...(cell.height - jigsaw.piece), using: &generator),
                             left: index % jigsaw.grid * cell.width
                                 + Int.random(in: 0...(cell.width - jigsaw.piece), using: &generator))
            }
            view.jigsaw = Jigsaw(grid: jigsaw.grid, size: jigsaw.piece, pieces: pieces)
        }
        return view
    }

    /// torchvision's RandomResizedCrop.get_params. area = H·W; up to ten attempts: target = area·U(scale),
    /// aspect = exp(U(log ratio)), w = round(√(target·aspect)), h = round(√(target/aspect)); the first box with
    /// 0 < w ≤ W and 0 < h ≤ H is placed at top = randint[0, H − h], left = randint[0, W − w]. Otherwise the centre
    /// crop: the whole image clipped to the nearest ratio in range (integer division centres it).
    static func drawCrop<G: RandomNumberGenerator>(height: Int, width: Int, _ settings: AugmentationConfig.Crop,
                                                   _ generator: inout G) -> Crop {
        let area = Double(height * width)
        let logRatio = Interval(log(settings.ratio.lower), log(settings.ratio.upper))
        for _ in 0..<10 {
            let target = area * Double.random(in: settings.scale.lower...settings.scale.upper, using: &generator)
            let aspect = exp(Double.random(in: logRatio.lower...logRatio.upper, using: &generator))
            let w = Int((target * aspect).squareRoot().rounded(.toNearestOrEven))
            let h = Int((target / aspect).squareRoot().rounded(.toNearestOrEven))
            if w > 0, w <= width, h > 0, h <= height {
                let top = Int.random(in: 0...(height - h), using: &generator)
                let left = Int.random(in: 0...(width - w), using: &generator)
                return Crop(top: top, left: left, height: h, width: w)
            }
        }
        let inRatio = Double(width) / Double(height)
        var (w, h) = (width, height)
        if inRatio < settings.ratio.lower {
            h = Int((Double(w) / settings.ratio.lower).rounded(.toNearestOrEven))
        } else if inRatio > settings.ratio.upper {
            w = Int((Double(h) * settings.ratio.upper).rounded(.toNearestOrEven))
        }
        return Crop(top: (height - h) / 2, left: (width - w) / 2, height: h, width: w)
    }
}

extension AugmentationConfig {
    /// `viewsPerImage` views of each of `images` source images of `sourceHeight` × `sourceWidth`, ordered view by
    /// view (all images' first views, then all second views: the layout the contrastive losses take), drawn in that
    /// order from `generator`.
    public func drawViews<G: RandomNumberGenerator>(images: Int, viewsPerImage: Int = 2, sourceHeight: Int,
                                                    sourceWidth: Int, generator: inout G) throws
        -> [(image: Int, parameters: ViewParameters)] {
        try (0..<viewsPerImage).flatMap { _ in
            try (0..<images).map { image in
                (image, try ViewParameters.draw(sourceHeight: sourceHeight, sourceWidth: sourceWidth, config: self,
                                                generator: &generator))
            }
        }
    }
}
