/// CPC's loss and its gradients, left on the inputs' device until `value()` reads the loss.
public struct PredictiveCodingResult: DeviceLoss {
    /// dLoss/dpredictions and dLoss/dtargets, shaped like them ([B, d, G, G']).
    public let predictionGradient: Tensor
    public let targetGradient: Tensor
    let readout: LossReadout

    public var loss: Tensor { readout.loss }

    /// The loss, with the check that predictions and targets were finite (one blocking read on OpenCL).
    public func value() throws -> Float { try readout.value() }
}

/// CPC v2's InfoNCE over a grid (Hénaff et al. 2020; lightning-bolts' `CPCTask`): the prediction made at row y,
/// column x of image b for `k` rows ahead is scored against the target vector of every position of every image in
/// the batch, and its class is the target at row y + k, column x of the same image:
///
///     loss = Σ_k mean over (b, y, x) with y + k < G of CE( softmax_j(p_k[b, :, y, x] · t_j), t[b, :, y + k, x] )
///
/// where j runs over all B·G·G' target vectors. `predictions` and `targets` are [B, d, G, G'] (the method makes the
/// predictions from its context network and scales them, 0.1 in CPC v2). A step with no row to predict (k ≥ G) is
/// left out, as CPC does; a list of steps with none left is an error. One prediction map serves every step, so
/// their gradients add up in it. Built from `channelsLast`, `gatherRows`, GEMMs and `softmaxCrossEntropy`; the
/// logits of one step, [rows predicted, B·G·G'], are the only large temporary.
public func predictiveCodingLoss(predictions: Tensor, targets: Tensor, steps: [Int]) throws -> PredictiveCodingResult {
    let op = "predictiveCodingLoss"
    try requireNCHW(op, targets.shape, name: "targets")
    try requireSameShape(op, predictions, targets)
    let (b, d, rows, columns) = (targets.shape[0], targets.shape[1], targets.shape[2], targets.shape[3])
    let used = steps.filter { $0 < rows }
    guard b >= 1, d >= 1, steps.allSatisfy({ $0 >= 1 }), !used.isEmpty else {
        throw SimileError.invalidArgument("\(op): steps \(steps) must be ≥ 1 and leave rows to predict in a grid of "
                                          + "\(rows) rows (targets \(targets.shape))")
    }
    let readout = try LossReadout(op, inputs: [("predictions", predictions), ("targets", targets)])
    let (p, t) = (try channelsLast(predictions), try channelsLast(targets))
    let positions = rows * columns, device = targets.device
    let dp = try Tensor.zeros(p.shape, on: device), dt = try Tensor.zeros(t.shape, on: device)
    var total: Tensor?
    for k in used {
        // The positions that predict k rows ahead (y < G − k), their targets', and where each sits among them.
        var predicting: [Int] = [], labels: [Float] = []
        var slot = [Int](repeating: -1, count: b * positions)
        for image in 0..<b {
            for position in 0..<(rows - k) * columns {
                slot[image * positions + position] = predicting.count
                predicting.append(image * positions + position)
                labels.append(Float(image * positions + position + k * columns))
            }
        }
        let pk = try gatherRows(p, RowIndices(predicting, rows: b * positions, on: device))
        let logits = try matmul(pk, t, transposeB: true)
        let classes = try Tensor(labels, shape: [labels.count], on: device)
        let (rowLosses, dLogits) = try softmaxCrossEntropy(logits, labels: classes)
        let stepLoss = try mean(rowLosses)
        total = try total.map { try add($0, stepLoss) } ?? stepLoss
        try gemm(dLogits, pk, into: dt, transposeA: true, beta: 1)
        // Back to every position: the rows that predicted take theirs, the others the zero row appended below.
        let dpk = try stackingRows([matmul(dLogits, t), Tensor.zeros([1, d], on: device)])
        let back = slot.map { $0 < 0 ? predicting.count : $0 }
        try axpy(1, gatherRows(dpk, RowIndices(back, rows: predicting.count + 1, on: device)), dp)
    }
    try copy(total!, into: readout.loss)
    return PredictiveCodingResult(predictionGradient: try channelsFirst(dp, height: rows, width: columns),
                                  targetGradient: try channelsFirst(dt, height: rows, width: columns), readout: readout)
}
