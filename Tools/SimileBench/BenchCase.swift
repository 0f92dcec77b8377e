import Simile

/// One kernel at one size on one device, ready to run: `run` enqueues the work once
/// (the harness synchronises and times it).
struct BenchCase {
    let kernel: String
    let size: String
    /// Floating-point operations and bytes moved per run, for GFLOP/s and GB/s.
    let flops: Double
    let bytes: Double
    /// Peak device or host memory the kernel needs beyond its inputs and outputs.
    let extraBytes: Int
    /// Images (or other items) processed per run, for a throughput column; nil where it means nothing.
    var items: Int? = nil
    let run: () throws -> Void
    /// A line printed under the case's own once it has been measured (what the runs recorded beyond their time).
    var note: (() -> String)? = nil
}

/// The kernels `--kernel` can name, and how to build each case.
enum BenchKernel: String, CaseIterable {
    case gemm, add, axpy, relu, reluBackward = "relu-backward", sum, sumAxis = "sum-axis"
    case l2Normalize = "l2-normalize", l2NormalizeBackward = "l2-normalize-backward"
    case ntxent, dcl, dclw
    case conv2d, conv2dBackwardInput = "conv2d-backward-input", conv2dBackwardWeight = "conv2d-backward-weight"
    case maxPool2d = "maxpool2d", maxPool2dBackward = "maxpool2d-backward"
    case globalAvgPool = "global-avg-pool", globalAvgPoolBackward = "global-avg-pool-backward"
    case infonce, nn
    case negativeCosine = "negative-cosine"
    case batchnorm2d
    case sgd, lars, adamw, copy
    case lerp, scaleAdd = "scale-add"
    case resnet18 = "resnet18-cifar"
    case augment
    case decodeJPEG = "decode-jpeg", decode
    case knn
    case trainStep = "train-step"
    case bankRows = "bank-rows", sinkhorn
    case triplet, cutPatches = "cut-patches"
    case bankLoss = "bank-loss"
    case allreduce
    case layerNorm = "layernorm", featureMapLoss = "feature-map-loss"

    /// `--size` values when none are given: matrix sides, loss batch sizes N, or images per model step.
    var defaultSizes: [Int] {
        switch self {
        case .ntxent, .dcl, .dclw, .infonce, .nn: return [256, 1024, 4096, 8192]
        case .triplet: return [256, 1024, 4096]
        case .conv2d, .conv2dBackwardInput, .conv2dBackwardWeight, .batchnorm2d, .maxPool2d, .maxPool2dBackward, .globalAvgPool, .globalAvgPoolBackward: return [256]
        case .resnet18, .negativeCosine: return [512]
        case .augment, .decodeJPEG, .decode, .trainStep, .cutPatches: return [256]
        case .allreduce: return [128]
        case .knn: return [10000]
        case .bankRows, .sinkhorn, .bankLoss, .featureMapLoss: return [256, 1024]
        case .layerNorm: return [256, 2048]
        default: return [256, 1024, 2048]
        }
    }

    /// The cases for matrices of side `n` (GEMM: n×n×n; elementwise and reductions: n×n elements;
    /// contrastive losses: N = n images, d = 128, forward and backward; convolutions: batch n).
    /// `methods` are train-step's (`trainStepCases`).
    func cases(n: Int, on device: Device, gemmKernels: [GemmKernel?], methods: [String]) throws -> [BenchCase] {
        if let method = ContrastiveMethod(rawValue: rawValue) { return try lossCases(method, n: n, on: device) }
        if self == .infonce || self == .nn { return try memoryBankCases(n: n, on: device) }
        if self == .negativeCosine { return try negativeCosineCases(n: n, on: device) }
        if self == .batchnorm2d { return try batchNormCases(batch: n, on: device) }
        if self == .resnet18 { return try resnetCases(batch: n, on: device) }
        if self == .augment { return try augmentCases(images: n, on: device) }
        if self == .decodeJPEG { return device.openCLInfo == nil ? try decodeCases(images: n) : [] }
        if self == .decode { return device.openCLInfo == nil ? try decodeStreamCases(images: n) : [] }
        if self == .knn { return try knnCases(testRows: n, on: device) }
        if self == .trainStep { return try trainStepCases(images: n, methods: methods, on: device) }
        if self == .bankRows || self == .sinkhorn { return try bankCases(n: n, on: device) }
        if self == .triplet { return try tripletCases(n: n, on: device) }
        if self == .bankLoss { return try bankLossCases(n: n, on: device) }
        if self == .allreduce { return try allreduceCases(images: n, on: device) }
        if self == .cutPatches { return try cutPatchesCases(images: n, on: device) }
        if self == .layerNorm { return try layerNormCases(n: n, on: device) }
        if self == .featureMapLoss { return try featureMapLossCases(n: n, on: device) }
        if [.sgd, .lars, .adamw, .copy].contains(self) { return try optimizerCases(n: n, on: device) }
        if self == .lerp || self == .scaleAdd { return try inPlaceCases(n: n, on: device) }
        if let cases = try poolingCases(n: n, on: device) { return cases }
        if let direction = convDirection { return try convCases(direction, batch: n, on: device) }
        let x = try Tensor.uniform([n, n], low: -1, high: 1, seed: 1, on: device)
        let y = try Tensor.uniform([n, n], low: -1, high: 1, seed: 2, on: device)
        let elements = Double(x.count), word = 4.0
        let size = "\(n)x\(n)"
        func simple(_ flopsPerElement: Double, _ wordsPerElement: Double, _ body: @escaping () throws -> Void) -> [BenchCase] {
            [BenchCase(kernel: rawValue, size: size, flops: flopsPerElement * elements,
                       bytes: wordsPerElement * word * elements, extraBytes: 0, run: body)]
        }
        switch self {
        case .gemm:
            let c = try Tensor.zeros([n, n], on: device)
            return gemmKernels.map { variant in
                BenchCase(kernel: variant.map { "gemm[\($0.rawValue)]" } ?? "gemm", size: "\(n)x\(n)x\(n)",
                          flops: 2 * elements * Double(n), bytes: 3 * word * elements,
                          extraBytes: variant.flatMap { v in device.openCLInfo.map { gemmPackedBytes(v, on: $0, m: n, n: n, k: n) } } ?? 0) {
                    try Simile.gemm(x, y, into: c, kernel: variant)
                }
            }
        case .add: return simple(1, 3) { _ = try Simile.add(x, y) }
        case .axpy: return simple(2, 3) { try Simile.axpy(0.5, x, y) }
        case .relu: return simple(1, 2) { _ = try Simile.relu(x) }
        case .reluBackward: return simple(1, 3) { _ = try Simile.reluBackward(input: x, gradient: y) }
        case .sum: return simple(1, 1) { _ = try Simile.sum(x) }
        case .sumAxis: return simple(1, 1) { _ = try Simile.sum(x, axis: 0) }
        case .l2Normalize: return simple(3, 2) { _ = try Simile.l2Normalize(x) }
        case .l2NormalizeBackward:
            let (normalized, norms) = try Simile.l2Normalize(x)
            return simple(4, 3) { _ = try Simile.l2NormalizeBackward(y: normalized, norms: norms, gradient: y) }
        case .ntxent, .dcl, .dclw, .infonce, .nn, .negativeCosine, .batchnorm2d, .resnet18, .maxPool2d, .maxPool2dBackward, .globalAvgPool,
             .globalAvgPoolBackward, .sgd, .lars, .adamw, .copy, .lerp, .scaleAdd, .conv2d, .conv2dBackwardInput, .conv2dBackwardWeight, .augment, .decodeJPEG, .decode, .knn, .trainStep,
             .bankRows, .sinkhorn, .triplet, .cutPatches, .bankLoss, .allreduce, .layerNorm, .featureMapLoss:
            preconditionFailure("losses, convolutions, pooling, batch norm, layer norm, optimisers, in-place updates, models, augmentations, decoding, the kNN, the training step, bank rows and losses, Sinkhorn and patches are built by their own case builders")
        }
    }
}
