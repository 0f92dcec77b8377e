/// A loss of one input z (two views' embeddings, or `bankNCELoss`'s queries) and its gradient, both left on z's
/// device: nothing waits for the device until the caller reads the loss with `value()`.
public struct ContrastiveLossResult {
    /// dLoss/dz, shaped like z (meaningless when `value()` reports a non-finite input).
    public let gradient: Tensor
    let readout: LossReadout

    /// The mean over z's rows (the 2N anchors, or the queries): a one-element tensor of shape [1] on z's device.
    public var loss: Tensor { readout.loss }

    /// Reads the loss to the host, together with the check that z was finite: one blocking read on OpenCL. Throws
    /// "contrastiveLoss: z[row, col] is nan; the input must be finite" for the first element of z that was not.
    public func value() throws -> Float { try readout.value() }
}

/// NT-Xent, DCL or DCLW (see `ContrastiveMethod`) of z, a (2N × d) tensor whose first N rows are view 1 and
/// next N view 2, with its gradient. Rows are L2-normalised inside, as lightly does. Exact at every
/// temperature and σ in [1e-30, ∞) (see `LogitShift`); others are refused. NT-Xent sums each row's negatives apart
/// from its positive and takes log1p(negatives / positive) (`positiveLoss`), so a loss far below float32's spacing
/// near 1 and its gradient keep their relative precision, and the loss is never negative. The 2N × 2N
/// similarity matrix is never materialised: tiles are reduced as they are made and recomputed in the
/// backward pass, so extra memory is O(N·d) (on the CPU, one tile and a partial gradient per core:
/// `contrastiveLossExtraBytes`; `contrastiveLossOpenCLExtraBytes`). Shape and hyper-parameter errors are thrown here; a non-finite z is checked
/// on its device and reported by the result's `value()`. `kernel` forces an OpenCL variant; by default the device
/// type picks it.
public func contrastiveLoss(_ z: Tensor, method: ContrastiveMethod, temperature: Float = 0.5,
                            sigma: Float = 0.5, kernel: GemmKernel? = nil) throws -> ContrastiveLossResult {
    try validateContrastiveInput(z, temperature: temperature, sigma: sigma)
    let readout = try LossReadout("contrastiveLoss", inputs: [("z", z)])
    let gradient: Tensor
    switch z.device.backend {
    case .cpu(let cpu):
        gradient = try contrastiveLossCPU(cpu, z, method: method, temperature: temperature, sigma: sigma,
                                          loss: readout.loss)
    case .opencl(let cl):
        gradient = try contrastiveLossOpenCL(cl, z, method: method, temperature: temperature, sigma: sigma,
                                             kernel: kernel ?? .preferred(for: cl.info.type), loss: readout.loss)
    }
    return ContrastiveLossResult(gradient: gradient, readout: readout)
}

/// The shape and hyper-parameter rules of the contrastive losses: one clear error for each way z or a
/// hyper-parameter is wrong.
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
}
