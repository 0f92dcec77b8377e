import Simile

extension BenchKernel {
    /// SimCLR's augmentations of n uint8 images into 2n float32 views: CIFAR-like (32×32 sources and views, no blur),
    /// the same with PIRL's 3×3 jigsaw as the last op (its cost is the difference from the plain CIFAR case), and
    /// STL-like (96×96, the blur with p 0.5). The views' parameters are drawn once; a run uploads the batch and
    /// makes every view. Bytes are the uint8 sources read plus the float32 views written; items are views.
    /// On the CPU the ResNet-18 CIFAR forward + backward of the 2n views follows, so that the report can give the
    /// augmentation's cost as a fraction of the step it feeds, from the same run (`augmentationShare`).
    func augmentCases(images n: Int, on device: Device) throws -> [BenchCase] {
        let mean: [Float] = [0.4914, 0.4822, 0.4465], std: [Float] = [0.247, 0.243, 0.261]
        let sets: [(name: String, side: Int, jigsaw: Bool)] = [("cifar", 32, false), ("cifar-jigsaw", 32, true),
                                                                ("stl", 96, false)]
        let step = device.openCLInfo == nil ? try BenchKernel.resnet18.resnetCases(batch: 2 * n, on: device) : []
        return try sets.map { name, side, jigsaw in
            var config = AugmentationConfig.simclr(size: side, channels: 3, mean: mean, std: std)
            if jigsaw { config.jigsaw = .pirl(side: side) }
            var generator = SeededGenerator(seed: 41)
            let shape = [n, 3, side, side]
            let batch = (0..<shape.reduce(1, *)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let views = try config.drawViews(images: n, sourceHeight: side, sourceWidth: side, generator: &generator)
            let outputValues = views.count * 3 * side * side
            return BenchCase(kernel: "augment-\(name)", size: "\(n)x3x\(side)x\(side)->\(views.count)", flops: 0,
                             bytes: Double(batch.count + 4 * outputValues), extraBytes: 0, items: views.count) {
                _ = try Simile.augment(batch: batch, shape: shape, views: views, config: config, on: device)
            }
        } + step
    }
}

extension BenchKernel {
    /// `cutPatches` of n images: PIRL's jigsaw pieces (3×3 of 7 pixels from 28×28, 1 channel) and a CPC-like
    /// overlapping grid (7×7 patches of 8 pixels at stride 4 from 32×32, 3 channels). A pure copy: bytes read and write
    /// the patches once, for the copy bandwidth of the same run.
    func cutPatchesCases(images n: Int, on device: Device) throws -> [BenchCase] {
        let sets: [(name: String, shape: [Int], size: Int, step: Int, grid: Int)] = [
            ("jigsaw", [n, 1, 28, 28], 7, 7, 3), ("grid", [n, 3, 32, 32], 8, 4, 7),
        ]
        return try sets.map { name, shape, size, step, grid in
            let x = try Tensor.uniform(shape, low: -1, high: 1, seed: 5, on: device)
            let values = n * grid * grid * shape[1] * size * size
            return BenchCase(kernel: "cut-patches-\(name)", size: "\(shape.map(String.init).joined(separator: "x"))->\(grid)x\(grid)x\(size)",
                             flops: 0, bytes: Double(8 * values), extraBytes: 0, items: n) {
                _ = try Simile.cutPatches(x, size: size, step: step, grid: (grid, grid))
            }
        }
    }
}

/// One line per device where both were measured: the CIFAR-like views' median time as a share of the ResNet-18
/// CIFAR forward + backward over the same number of views (issue 11's target: at most 5%).
func augmentationShare(_ records: [BenchRecord]) -> [String] {
    Dictionary(grouping: records, by: \.device).sorted { $0.key < $1.key }.compactMap { device, records in
        guard let views = records.first(where: { $0.kernel == "augment-cifar" }),
              let step = records.first(where: { [BenchKernel.resnet18.rawValue, BenchKernel.resnet18.rawValue + "[auto]"]
                  .contains($0.kernel) }) else { return nil }
        return String(format: "%@: making the views (%@) costs %.2f%% of the ResNet-18 CIFAR forward + backward of "
                      + "them (%@), same run", device, views.size, 100 * views.medianMs / step.medianMs, step.size)
    }
}
