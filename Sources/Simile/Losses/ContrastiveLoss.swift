/// A contrastive loss of two views and its gradient.
public struct ContrastiveLossResult {
    /// The mean over the 2N anchors.
    public let loss: Float
    /// dLoss/dz, shaped like z.
    public let gradient: Tensor
}

/// NT-Xent, DCL or DCLW (see `ContrastiveMethod`) of z, a (2N × d) tensor whose first N rows are view 1 and
/// next N view 2, with its gradient. Rows are L2-normalised inside, as lightly does. Exact at every
/// temperature and σ in [1e-30, ∞) (see `LogitShift`); others are refused. The 2N × 2N
/// similarity matrix is never materialised: tiles are reduced as they are made and recomputed in the
/// backward pass, so extra memory is O(N·d) plus, on the CPU, one tile (`contrastiveLossExtraBytes`,
/// `contrastiveLossOpenCLExtraBytes`).
public func contrastiveLoss(_ z: Tensor, method: ContrastiveMethod, temperature: Float = 0.5,
                            sigma: Float = 0.5) throws -> ContrastiveLossResult {
    try validateContrastiveInput(z, temperature: temperature, sigma: sigma)
    switch z.device.backend {
    case .cpu(let cpu):
        return try contrastiveLossCPU(cpu, z, method: method, temperature: temperature, sigma: sigma)
    case .opencl(let cl):
        return try contrastiveLossOpenCL(cl, z, method: method, temperature: temperature, sigma: sigma)
    }
}

/// The input rules of the contrastive losses: one clear error for each way z or a hyper-parameter is wrong.
private func validateContrastiveInput(_ z: Tensor, temperature: Float, sigma: Float) throws {
    guard z.shape.count == 2 else {
        throw SimileError.shapeMismatch(op: "contrastiveLoss", detail: "z must be 2-D (2N × d), got shape \(z.shape)")
    }
    let (rows, cols) = (z.shape[0], z.shape[1])
    guard rows % 2 == 0 else {
        throw SimileError.invalidArgument("contrastiveLoss: z has \(rows) rows; it needs 2N (N rows per view)")
    }
    guard rows >= 4 else {
        throw SimileError.invalidArgument("contrastiveLoss: N = \(rows / 2) image(s); at least 2 are needed for a negative")
    }
    guard cols >= 1 else { throw SimileError.invalidArgument("contrastiveLoss: z has no features (shape \(z.shape))") }
    try validateTemperature(temperature, name: "contrastiveLoss: temperature")
    try validateTemperature(sigma, name: "contrastiveLoss: sigma")
    let hostCopy = z.device.openCLInfo == nil ? z : try z.to(.cpu)
    let host = hostCopy.hostPointer
    if let bad = (0..<hostCopy.count).first(where: { !host[$0].isFinite }) {
        throw SimileError.invalidArgument(
            "contrastiveLoss: z[\(bad / cols), \(bad % cols)] is \(host[bad]); the input must be finite")
    }
}
