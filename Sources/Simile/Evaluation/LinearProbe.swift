/// How `linearProbe` trains: full-batch Adam on the L2-regularised mean cross-entropy, from zero weights.
public struct LinearProbeConfig: Equatable, Sendable {
    /// Adam's step size.
    public var learningRate: Float = 0.01
    /// λ of the penalty (λ/2)·‖W‖² added to the loss (the bias is not penalised).
    public var weightDecay: Float = 1e-4
    /// At most this many updates.
    public var maxIterations = 1000
    /// Training stops once |L_t − L_{t−1}| ≤ tolerance · |L_{t−1}| (0: run every iteration). L is a float32 mean,
    /// resolved to about 1e-7 relatively, so 1e-6 asks for the loss to stop moving at all. Near-separable features
    /// keep lowering it slowly (the weights grow until λ holds them) and may use every iteration.
    public var tolerance = 1e-6

    public init(learningRate: Float = 0.01, weightDecay: Float = 1e-4, maxIterations: Int = 1000, tolerance: Double = 1e-6) {
        (self.learningRate, self.weightDecay, self.maxIterations, self.tolerance)
            = (learningRate, weightDecay, maxIterations, tolerance)
    }

    func validate(_ op: String) throws {
        guard learningRate > 0, learningRate.isFinite else {
            throw SimileError.invalidArgument("\(op): learning rate must be > 0 and finite, got \(learningRate)")
        }
        guard weightDecay >= 0, weightDecay.isFinite else {
            throw SimileError.invalidArgument("\(op): weight decay must be ≥ 0 and finite, got \(weightDecay)")
        }
        guard maxIterations >= 1 else {
            throw SimileError.invalidArgument("\(op): max iterations must be ≥ 1, got \(maxIterations)")
        }
        guard tolerance >= 0, tolerance.isFinite else {
            throw SimileError.invalidArgument("\(op): tolerance must be ≥ 0 and finite, got \(tolerance)")
        }
    }
}

/// A trained linear probe and how it scored.
public struct LinearProbeResult {
    /// Top-1 and top-5 on the test features (see `ClassificationAccuracy`).
    public let accuracy: ClassificationAccuracy
    /// The regularised train loss at the returned weights.
    public let trainLoss: Double
    /// The updates made.
    public let iterations: Int
    /// Whether the loss settled within the tolerance before `maxIterations`.
    public let converged: Bool
    /// W [C, d] and b [C], on the features' device, acting on standardised features.
    public let weight: Tensor
    public let bias: Tensor
}

/// The linear evaluation of frozen features: multinomial logistic regression on standardised features
/// (`FeatureStandardization` fitted to the train set, applied to both), trained on the features' device and scored
/// on the test set.
///
/// Model and loss: logits z = x̂ Wᵀ + b, L = (1/N) Σ_i [log Σ_c exp(z_ic) − z_i,y_i] + (λ/2)‖W‖². The problem is
/// convex, so zero weights are a fine and deterministic start, and full-batch updates need no sampling.
/// Each iteration is on the device: z by `linear` (a GEMM), the row losses and dL/dz = (softmax(z) − onehot)/N by
/// `softmaxCrossEntropy`, dW = (dL/dz)ᵀ x̂ + λW by `gemm`, db = Σ_i dL/dz_i by `sum`, then the fused Adam step of
/// `Optimizer` (`.adamw` with decoupled decay 0: the L2 term is in the gradient). The loss is read back once per
/// iteration for the stopping test (`LinearProbeConfig.tolerance`). Test logits (Ntest × C) come to the host to
/// be ranked. Features must be finite; labels are in 0..<classes.
public func linearProbe(train: Tensor, trainLabels: [Int], test: Tensor, testLabels: [Int], classes: Int,
                        config: LinearProbeConfig = LinearProbeConfig()) throws -> LinearProbeResult {
    let op = "linearProbe", operands: [(name: String, tensor: Tensor)] = [("train", train), ("test", test)]
    try validateBankOperands(op, operands)
    try requireClasses(op, classes)
    try requireLabels(op, "trainLabels", trainLabels, for: train, classes: classes)
    try requireLabels(op, "testLabels", testLabels, for: test, classes: classes)
    try config.validate(op)
    try FiniteCheck.require(op, operands)
    let device = train.device, d = train.shape[1]
    let standardization = try FeatureStandardization(fitting: train)
    let x = try standardization.apply(train)
    let labels = try Tensor(trainLabels.map(Float.init), shape: [trainLabels.count], on: device)
    let weight = Parameter(try Tensor.zeros([classes, d], on: device), role: .weight)
    let bias = Parameter(try Tensor.zeros([classes], on: device), role: .bias)
    let optimizer = try Optimizer(.adamw(), [("weight", weight), ("bias", bias)], learningRate: config.learningRate)
    var previous = Double.nan, iterations = 0, converged = false
    while true {
        let (rowLosses, dz) = try softmaxCrossEntropy(try linear(x, weight: weight.value, bias: bias.value), labels: labels)
        let loss = Double(try mean(rowLosses).toArray()[0])
            + Double(config.weightDecay) / 2 * Double(try sum(try mul(weight.value, weight.value)).toArray()[0])
        converged = abs(loss - previous) <= config.tolerance * abs(previous)
        previous = loss
        if converged || iterations == config.maxIterations { break }
        let dw = try matmul(dz, x, transposeA: true)
        try axpy(config.weightDecay, weight.value, dw)
        weight.zeroGradient()
        bias.zeroGradient()
        try weight.accumulate(dw)
        try bias.accumulate(try sum(dz, axis: 0))
        try optimizer.step()
        iterations += 1
    }
    let logits = try linear(try standardization.apply(test), weight: weight.value, bias: bias.value).toArray()
    let topCount = min(5, classes)
    let ranked = logits.map(Double.init).withUnsafeBufferPointer { scores in
        (0..<testLabels.count).map { topClasses(UnsafeBufferPointer(rebasing: scores[$0 * classes..<($0 + 1) * classes]), count: topCount) }
    }
    return LinearProbeResult(accuracy: ClassificationAccuracy(ranked: ranked, labels: testLabels, topCount: topCount),
                             trainLoss: previous, iterations: iterations, converged: converged,
                             weight: weight.value, bias: bias.value)
}
