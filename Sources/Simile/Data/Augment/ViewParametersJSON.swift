import Foundation

/// `simile augment --params-out`: what made each row of views.npy, so that the chain can be checked against
/// torchvision's functional ops (resized_crop with the crop box, hflip, adjust_* with the factors in order,
/// rgb_to_grayscale, gaussian_blur, solarize, normalize):
///
///     {"size": [H, W], "mean": [...], "std": [...],
///      "views": [{"image": i, "crop": [top, left, height, width], "flip": false,
///                 "jitter": [["brightness", 1.21], ["hue", -0.03]], "grayscale": false,
///                 "blur": null or {"kernel": k, "sigma": s}, "solarize": null or threshold,
///                 "jigsaw": null or {"grid": g, "piece": s, "pieces": [[cell, top, left], ...]}}, ...]}
///
/// with one entry per row of views.npy, the crop in the source image's pixels and the jitter ops in the order
/// applied (only those applied). The jigsaw, last and after the normalisation, replays as: out = zeros; for piece t,
/// out[:, ⌊t/g⌋·s : ⌊t/g⌋·s + s, (t mod g)·s : (t mod g)·s + s] = view[:, top : top + s, left : left + s], where
/// view is the chain's output before the jigsaw (the window lies inside cell `cell`, numbered row by row). Keys keep
/// this order.
public func augmentationParametersJSON(config: AugmentationConfig,
                                       views: [(image: Int, parameters: ViewParameters)]) -> String {
    func number(_ value: Float) -> String { "\(value)" }  // the shortest text that reads back as the same float
    func list(_ items: [String]) -> String { "[" + items.joined(separator: ", ") + "]" }
    let rows = views.map { image, view -> String in
        let crop = list([view.crop.top, view.crop.left, view.crop.height, view.crop.width].map(String.init))
        let jitter = list(view.jitter.map { list(["\"\($0.kind)\"", number($0.factor)]) })
        let blur = view.blur.map { "{\"kernel\": \($0.kernelSize), \"sigma\": \(number($0.sigma))}" } ?? "null"
        let solarize = view.solarize.map(number) ?? "null"
        let jigsaw = view.jigsaw.map { jigsaw in
            let pieces = list(jigsaw.pieces.map { list([$0.cell, $0.top, $0.left].map(String.init)) })
            return "{\"grid\": \(jigsaw.grid), \"piece\": \(jigsaw.size), \"pieces\": \(pieces)}"
        } ?? "null"
        return "{\"image\": \(image), \"crop\": \(crop), \"flip\": \(view.flip), \"jitter\": \(jitter), "
            + "\"grayscale\": \(view.grayscale), \"blur\": \(blur), \"solarize\": \(solarize), \"jigsaw\": \(jigsaw)}"
    }
    return "{\"size\": [\(config.outputHeight), \(config.outputWidth)], \"mean\": \(list(config.mean.map(number))), "
        + "\"std\": \(list(config.std.map(number))), \"views\": [\n  " + rows.joined(separator: ",\n  ") + "\n]}\n"
}
