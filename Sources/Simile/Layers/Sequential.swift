/// Layers applied one after another; children are named "0", "1", … as in torch.nn.Sequential.
public final class Sequential: Layer {
    public let layers: [any Layer]

    public init(_ layers: [any Layer]) { self.layers = layers }

    public func sameArchitecture() throws -> Sequential { Sequential(try layers.map { try $0.sameArchitecture() }) }

    public var children: [(name: String, layer: any Layer)] {
        layers.enumerated().map { (String($0.offset), $0.element) }
    }

    public func forward(_ x: Tensor, recordingInto record: ForwardRecord?) throws -> Tensor {
        try forwardThroughChildren(x, record)
    }

    public func backward(_ gradient: Tensor, from record: ForwardRecord) throws -> Tensor {
        try backwardThroughChildren(gradient, record)
    }
}
