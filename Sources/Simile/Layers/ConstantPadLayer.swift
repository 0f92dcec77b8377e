/// Constant padding of the channels, rows and columns of NCHW input (PyTorch's `nn.ConstantPad3d` over C, H, W;
/// `nn.ZeroPad2d` when only rows and columns are padded with 0): CPC's context network pads a row on top so that a
/// 2×1 convolution sees only the rows above, and a zero-padded shortcut adds channels. No parameters.
public final class ConstantPad: Layer {
    public let padding: MapPadding
    public let value: Float

    public init(_ padding: MapPadding, value: Float = 0) {
        (self.padding, self.value) = (padding, value)
    }

    public func sameArchitecture() -> ConstantPad { ConstantPad(padding, value: value) }

    public func forward(_ x: Tensor, recordingInto record: ForwardRecord?) throws -> Tensor {
        record?.save(x.shape, for: self)
        return try constantPad(x, padding, value: value)
    }

    public func backward(_ gradient: Tensor, from record: ForwardRecord) throws -> Tensor {
        try constantPadBackward(gradient, padding, inputShape: record.take(for: self, "ConstantPad"))
    }
}
