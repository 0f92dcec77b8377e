/// AMDIM's representation extraction, similarity and loss (Bachman et al. 2019), shared by AMDIM and YADIM: feature
/// maps of the two views compared location by location.
///
/// Each comparison a→b takes, from each view's map a, one vector per image (at a random location, drawn anew every
/// step; a 1×1 map's only one) and scores it against every location of the other view's map b with
/// `featureMapContrastiveLoss`: its positives are its own image's locations, its negatives every location of every
/// other image. A comparison runs both ways (view 1's sources against view 2's maps and back), each direction
/// weighted ½; the comparisons are summed (AMDIM's 1→5 + 1→7 + 5→5, YADIM's last→last alone).
struct FeatureMapComparisons {
    /// (source map, target map) indices into the maps the step gives.
    let pairs: [(source: Int, target: Int)]
    let tclip: Float
    /// Seeds the source locations, with the step: a resumed run draws the same ones.
    let seed: UInt64

    /// The summed loss and dLoss/dmap for each of `maps` (each [2B, d, h, w]: rows 0..<B the first views of the B
    /// images, B..<2B their second views).
    func loss(_ maps: [Tensor], step: Int) throws -> (loss: any DeviceLoss, gradients: [Tensor]) {
        let b = maps[0].shape[0] / 2
        let draws = sourceLocations(step: step, images: b,
                                    sizes: pairs.map { maps[$0.source].shape[2] * maps[$0.source].shape[3] })
        var parts: [FeatureMapLossResult] = []
        var gradients: [[Tensor?]] = maps.map { _ in [nil, nil] }
        for (index, (source, target)) in pairs.enumerated() {
            for view in 0..<2 {
                let (map, other) = (try rowBlock(maps[source], view * b..<(view + 1) * b),
                                    try rowBlock(maps[target], (1 - view) * b..<(2 - view) * b))
                let (height, width) = (map.shape[2], map.shape[3])
                let at = try RowIndices(draws[2 * index + view], rows: height * width, on: map.device)
                let result = try featureMapContrastiveLoss(sources: pickLocations(map, at: at), targets: other,
                                                           tclip: tclip, weight: 0.5)
                parts.append(result)
                try add(placeLocations(result.sourceGradient, at: at, height: height, width: width),
                        to: &gradients[source][view])
                try add(result.targetGradient, to: &gradients[target][1 - view])
            }
        }
        let full = try zip(maps, gradients).map { map, halves in
            try stackingRows(halves.map { try $0 ?? Tensor.zeros([b] + map.shape.dropFirst(), on: map.device) })
        }
        return (try SummedLoss(parts), full)
    }

    /// The source location of each image for every comparison and direction at `step` (comparison c's direction v
    /// at 2c + v), each below its comparison's source map size in `sizes`: a function of the seed and the step.
    func sourceLocations(step: Int, images: Int, sizes: [Int]) -> [[Int]] {
        var generator = SeededGenerator(seed: seed &+ UInt64(step) &* 0x2545_F491_4F6C_DD1D)
        return sizes.flatMap { size in
            (0..<2).map { _ in (0..<images).map { _ in Int.random(in: 0..<size, using: &generator) } }
        }
    }

    private func add(_ gradient: Tensor, to sum: inout Tensor?) throws {
        if let sum { try axpy(1, gradient, sum) } else { sum = gradient }
    }
}

/// Losses that a step adds up, each left on the device with its own finite check; `value()` reads each.
struct SummedLoss: DeviceLoss {
    let parts: [any DeviceLoss]
    let loss: Tensor

    init(_ parts: [any DeviceLoss]) throws {
        self.parts = parts
        loss = try parts.dropFirst().reduce(parts[0].loss) { try add($0, $1.loss) }
    }

    func value() throws -> Float { try parts.reduce(0) { $0 + (try $1.value()) } }
}
