/// x + body(x): a residual connection around a network whose output has its input's shape (CPC's context blocks).
/// Its one child is named "body"; the backward pass adds the body's input gradient to the gradient that skips it.
public final class Residual: Layer {
    public let body: any Layer

    public init(_ body: any Layer) { self.body = body }

    public var children: [(name: String, layer: any Layer)] { [("body", body)] }

    public func sameArchitecture() throws -> Residual { Residual(try body.sameArchitecture()) }

    public func forward(_ x: Tensor, recordingInto record: ForwardRecord?) throws -> Tensor {
        try add(x, inChild("body") { try body.forward(x, recordingInto: record) })
    }

    public func backward(_ gradient: Tensor, from record: ForwardRecord) throws -> Tensor {
        try add(gradient, inChild("body") { try body.backward(gradient, from: record) })
    }
}
