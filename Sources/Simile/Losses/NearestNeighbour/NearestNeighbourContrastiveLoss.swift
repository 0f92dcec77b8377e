/// NNCLR's loss and its gradient with respect to the predictions, left on the device until `value()` reads it.
public struct NearestNeighbourContrastiveResult {
    /// dLoss/dp, shaped like the predictions.
    public let predictionGradient: Tensor
    /// ½(first + second term), a one-element tensor on the device.
    public let loss: Tensor
    let neighbours: DeviceNearestNeighbours
    let terms: [ContrastiveLossResult]

    /// The loss, read with the checks that the projections, the support and the predictions were finite; throws the
    /// first input that was not ("nearestNeighbours: u[3, 1] is nan; …" names the projections u).
    public func value() throws -> Float {
        try neighbours.requireFiniteInputs()
        return try terms.map { try $0.value() }.reduce(0, +) / 2
    }
}

/// NNCLR's loss (Dwibedi et al. 2021) of a batch of two views: with z the projections and p the predictions, both
/// [2B, d] (rows 0..<B the first views, B..<2B the second), and NN(z) each projection's nearest neighbour in
/// `support` [K, d] by cosine (`nearestNeighbourRows`, gathered without leaving the device),
///
///     L = ½ (NT-Xent([NN(z₁); p₂]) + NT-Xent([NN(z₂); p₁])),
///
/// each NT-Xent the 2B-row `contrastiveLoss` of its stacked pair at `temperature` (lightly's NTXentLoss(NN(z₁), p₂)
/// and the swapped one). The gradient flows only into p: the neighbours are rows of the support, and z only chooses
/// them. As the NT-Xent of a pair does not depend on which half comes first, the second term is computed as
/// NT-Xent([p₁; NN(z₂)]), so that both stacks are the gathered neighbours or p with one half replaced.
public func nearestNeighbourContrastiveLoss(projections z: Tensor, predictions p: Tensor, support: Tensor,
                                            temperature: Float) throws -> NearestNeighbourContrastiveResult {
    let op = "nearestNeighbourContrastiveLoss"
    try requireRank(op, p, 2, name: "predictions")
    guard z.shape == p.shape else {
        throw SimileError.shapeMismatch(op: op, detail: "projections \(z.shape) and predictions \(p.shape) must have "
                                        + "one shape [2B, d]")
    }
    guard z.shape[0] % 2 == 0 else {
        throw SimileError.invalidArgument("\(op): \(z.shape[0]) rows; two views need 2B")
    }
    try requireSameDevice(op, z, p)
    try validateTemperature(temperature, name: "\(op): temperature")
    let neighbours = try nearestNeighbourRows(of: z, in: support)
    let half = z.shape[0] / 2
    // Rows 0..<B: NN(z₁); rows B..<2B: NN(z₂). The second stack is [p₁; NN(z₂)], then the neighbours' second half
    // becomes p₂: [NN(z₁); p₂].
    let first = try gatherRows(support, neighbours.indices)
    let second = try Tensor(uninitialized: p.shape, on: p.device)
    try copyRows(p, from: 0, count: half, into: second, at: 0)
    try copyRows(first, from: half, count: half, into: second, at: half)
    try copyRows(p, from: half, count: half, into: first, at: half)
    let terms = try [first, second].map { try contrastiveLoss($0, method: .ntxent, temperature: temperature) }
    // dL/dp: ½ of each term's gradient at the rows p fills (p₂ in the first stack, p₁ in the second).
    let gradient = terms[0].gradient
    try copyRows(terms[1].gradient, from: 0, count: half, into: gradient, at: 0)
    return NearestNeighbourContrastiveResult(predictionGradient: try scale(gradient, by: 0.5),
                                             loss: try scale(add(terms[0].loss, terms[1].loss), by: 0.5),
                                             neighbours: neighbours, terms: terms)
}
