import Foundation

/// Float64 definitions of the augmentations (torchvision's, on images in [0, 1] laid out [C, H, W]); the tests compare
/// both backends of `augment` with these, one op at a time and chained.
extension Reference {
    /// A [C, H, W] image of float64 values.
    public struct Image: Equatable {
        public var channels: Int
        public var height: Int
        public var width: Int
        public var values: [Double]

        public init(channels: Int, height: Int, width: Int, values: [Double]) {
            self.channels = channels
            self.height = height
            self.width = width
            self.values = values
        }

        /// uint8 pixels [C, H, W] as x / 255.
        public init(channels: Int, height: Int, width: Int, bytes: ArraySlice<UInt8>) {
            self.init(channels: channels, height: height, width: width, values: bytes.map { Double($0) / 255 })
        }

        subscript(c: Int, y: Int, x: Int) -> Double {
            get { values[(c * height + y) * width + x] }
            set { values[(c * height + y) * width + x] = newValue }
        }

        /// The channel values of pixel i (row-major over H × W).
        func pixel(_ i: Int) -> [Double] { (0..<channels).map { values[$0 * height * width + i] } }

        /// The same image with `body` applied to each pixel's channel values.
        func mapPixels(_ body: ([Double]) -> [Double]) -> Image {
            var result = self
            for i in 0..<height * width {
                for (c, value) in body(pixel(i)).enumerated() { result.values[c * height * width + i] = value }
            }
            return result
        }
    }

    /// torchvision's resized_crop(antialias=True): the box cropped, then torch's interpolate(bilinear,
    /// align_corners=False, antialias=True) to height × width, as a 2-D sum of products of the 1-D taps.
    public static func resizedCrop(_ image: Image, top: Int, left: Int, cropHeight: Int, cropWidth: Int,
                                   height: Int, width: Int) -> Image {
        func taps(_ i: Int, _ input: Int, _ output: Int) -> [(Int, Double)] {
            let scale = Double(input) / Double(output), support = max(scale, 1), center = scale * (Double(i) + 0.5)
            let range = max(Int(center - support + 0.5), 0)..<min(Int(center + support + 0.5), input)
            let raw = range.map { ($0, max(0, 1 - abs((Double($0) - center + 0.5) / support))) }
            let total = raw.reduce(0) { $0 + $1.1 }
            return raw.map { ($0.0, $0.1 / total) }
        }
        var out = Image(channels: image.channels, height: height, width: width,
                        values: Array(repeating: 0, count: image.channels * height * width))
        for c in 0..<image.channels {
            for oy in 0..<height {
                for ox in 0..<width {
                    var sum = 0.0
                    for (y, wy) in taps(oy, cropHeight, height) {
                        for (x, wx) in taps(ox, cropWidth, width) { sum += wy * wx * image[c, top + y, left + x] }
                    }
                    out[c, oy, ox] = sum
                }
            }
        }
        return out
    }

    public static func horizontalFlip(_ image: Image) -> Image {
        var out = image
        for c in 0..<image.channels {
            for y in 0..<image.height {
                for x in 0..<image.width { out[c, y, x] = image[c, y, image.width - 1 - x] }
            }
        }
        return out
    }

    /// 0.2989·R + 0.587·G + 0.114·B (torchvision's rgb_to_grayscale); a 1-channel pixel is its own gray.
    public static func luma(_ pixel: [Double]) -> Double {
        pixel.count == 1 ? pixel[0] : 0.2989 * pixel[0] + 0.587 * pixel[1] + 0.114 * pixel[2]
    }

    private static func blend(_ x: Double, _ y: Double, _ f: Double) -> Double { min(max(f * x + (1 - f) * y, 0), 1) }

    /// adjust_brightness: clamp(f·x, 0, 1).
    public static func brightness(_ image: Image, _ f: Double) -> Image {
        image.mapPixels { $0.map { min(max(f * $0, 0), 1) } }
    }

    /// adjust_contrast: clamp(f·x + (1 − f)·m, 0, 1), m the mean gray of the image.
    public static func contrast(_ image: Image, _ f: Double) -> Image {
        let pixels = image.height * image.width
        let mean = (0..<pixels).reduce(0.0) { $0 + luma(image.pixel($1)) } / Double(pixels)
        return image.mapPixels { $0.map { blend($0, mean, f) } }
    }

    /// adjust_saturation: clamp(f·x + (1 − f)·gray(x), 0, 1) per pixel.
    public static func saturation(_ image: Image, _ f: Double) -> Image {
        image.mapPixels { pixel in pixel.map { blend($0, luma(pixel), f) } }
    }

    /// rgb_to_grayscale with as many output channels as input channels.
    public static func grayscale(_ image: Image) -> Image {
        image.mapPixels { pixel in Array(repeating: luma(pixel), count: pixel.count) }
    }

    /// adjust_hue: torchvision's _rgb2hsv, h' = (h + shift) mod 1, _hsv2rgb.
    public static func hue(_ image: Image, _ shift: Double) -> Image {
        image.mapPixels { pixel in
            let hsv = rgbToHSV(pixel)
            let h = hsv[0] + shift
            return hsvToRGB([h - h.rounded(.down), hsv[1], hsv[2]])
        }
    }

    /// torchvision's _rgb2hsv of one pixel: [h in [0, 1), s, v].
    public static func rgbToHSV(_ pixel: [Double]) -> [Double] {
        let (r, g, b) = (pixel[0], pixel[1], pixel[2])
        let maxc = max(r, g, b), minc = min(r, g, b), equal = maxc == minc, cr = maxc - minc
        let s = cr / (equal ? 1 : maxc), divisor = equal ? 1 : cr
        let rc = (maxc - r) / divisor, gc = (maxc - g) / divisor, bc = (maxc - b) / divisor
        let h6 = maxc == r ? bc - gc : maxc == g ? 2 + rc - bc : 4 + gc - rc
        return [fmod(h6 / 6 + 1, 1), s, maxc]
    }

    /// torchvision's _hsv2rgb of one pixel.
    public static func hsvToRGB(_ hsv: [Double]) -> [Double] {
        let (h, s, v) = (hsv[0], hsv[1], hsv[2])
        let sector = (h * 6).rounded(.down), f = h * 6 - sector
        let p = min(max(v * (1 - s), 0), 1), q = min(max(v * (1 - s * f), 0), 1), t = min(max(v * (1 - s * (1 - f)), 0), 1)
        switch Int(sector) % 6 {
        case 0: return [v, t, p]
        case 1: return [q, v, p]
        case 2: return [p, v, t]
        case 3: return [p, q, v]
        case 4: return [t, p, v]
        default: return [v, p, q]
        }
    }

    /// torchvision's gaussian_blur: a k × k kernel, the outer product of exp(−x²/(2σ²)) normalised, over the
    /// reflect-padded image (the edge sample not repeated), as one 2-D sum.
    public static func gaussianBlur(_ image: Image, kernelSize k: Int, sigma: Double) -> Image {
        let half = k / 2
        let pdf = (-half...half).map { exp(-0.5 * pow(Double($0) / sigma, 2)) }
        let weights = pdf.map { $0 / pdf.reduce(0, +) }
        func reflect(_ i: Int, _ n: Int) -> Int { i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i }
        var out = image
        for c in 0..<image.channels {
            for y in 0..<image.height {
                for x in 0..<image.width {
                    var sum = 0.0
                    for i in 0..<k {
                        for j in 0..<k {
                            sum += weights[i] * weights[j]
                                * image[c, reflect(y + i - half, image.height), reflect(x + j - half, image.width)]
                        }
                    }
                    out[c, y, x] = sum
                }
            }
        }
        return out
    }

    /// torchvision's solarize on float images: where(x ≥ threshold, 1 − x, x).
    public static func solarize(_ image: Image, threshold: Double) -> Image {
        image.mapPixels { $0.map { $0 >= threshold ? 1 - $0 : $0 } }
    }

    /// (x − mean_c) / std_c.
    public static func normalize(_ image: Image, mean: [Double], std: [Double]) -> Image {
        var out = image
        for c in 0..<image.channels {
            for y in 0..<image.height {
                for x in 0..<image.width { out[c, y, x] = (image[c, y, x] - mean[c]) / std[c] }
            }
        }
        return out
    }

    /// One view of `image` by the whole chain in SimCLR's order, with BYOL's solarisation after the blur: crop-resize,
    /// flip, jitter steps, grayscale, blur, solarisation, normalisation (when `config` has mean and std), PIRL's jigsaw.
    public static func augmentedView(_ image: Image, _ view: ViewParameters, config: AugmentationConfig) -> Image {
        let crop = view.crop
        var out = resizedCrop(image, top: crop.top, left: crop.left, cropHeight: crop.height, cropWidth: crop.width,
                              height: config.outputHeight, width: config.outputWidth)
        if view.flip { out = horizontalFlip(out) }
        for step in view.jitter {
            let f = Double(step.factor)
            switch step.kind {
            case .brightness: out = brightness(out, f)
            case .contrast: out = contrast(out, f)
            case .saturation: out = saturation(out, f)
            case .hue: out = hue(out, f)
            }
        }
        if view.grayscale { out = grayscale(out) }
        if let blur = view.blur { out = gaussianBlur(out, kernelSize: blur.kernelSize, sigma: Double(blur.sigma)) }
        if let threshold = view.solarize { out = solarize(out, threshold: Double(threshold)) }
        if !config.mean.isEmpty {
            out = normalize(out, mean: config.mean.map(Double.init), std: config.std.map(Double.init))
        }
        if let jigsaw = view.jigsaw { out = rearranged(out, jigsaw) }
        return out
    }

    /// PIRL's jigsaw as `--params-out` describes it: a zero image, then for each piece t the window
    /// image[:, top ..< top + s, left ..< left + s] written at rows ⌊t/g⌋·s and columns (t mod g)·s.
    public static func rearranged(_ image: Image, _ jigsaw: ViewParameters.Jigsaw) -> Image {
        var out = Image(channels: image.channels, height: image.height, width: image.width,
                        values: Array(repeating: 0, count: image.values.count))
        let s = jigsaw.size
        for (t, piece) in jigsaw.pieces.enumerated() {
            for c in 0..<image.channels {
                for y in 0..<s {
                    for x in 0..<s {
                        out[c, t / jigsaw.grid * s + y, t % jigsaw.grid * s + x] = image[c, piece.top + y, piece.left + x]
                    }
                }
            }
        }
        return out
    }
}
