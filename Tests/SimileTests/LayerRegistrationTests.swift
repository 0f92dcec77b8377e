import Testing
@testable import Simile

/// Layers list their children, parameters and buffers by hand (torchvision's names need that). This suite
/// finds every stored sub-layer, parameter and tensor by reflection and fails when one is not listed, so
/// that a layer added to a model cannot be missed by optimisers, checkpoints or `setTraining`.
@Suite struct LayerRegistrationTests {
    /// One instance of every layer type, in every shape of its stored properties (optional parts present).
    static func everyLayerType() throws -> [any Layer] {
        var generator = SeededGenerator(seed: 1)
        return [
            try Conv2d(2, 3, kernelSize: 3, on: .cpu, generator: &generator),
            try Linear(4, 5, on: .cpu, generator: &generator),
            try BatchNorm1d(4, on: .cpu), try BatchNorm2d(4, relu: true, on: .cpu),
            try LayerNorm([2, 3, 3], on: .cpu), AvgPool2d(kernelSize: 2), ConstantPad(MapPadding(rows: (1, 0))),
            Residual(ReLU()), try ContextNetwork(channels: 2, hidden: 3, blocks: 2, on: .cpu),
            ReLU(), MaxPool2d(kernelSize: 2), GlobalAvgPool(),
            Sequential([ReLU(), try Linear(2, 2, on: .cpu, generator: &generator)]),
            try BasicBlock(2, 4, stride: 2, on: .cpu, generator: &generator),
            try ResNet(stem: .imagenet, widths: [2, 4], blocks: [1, 1], classes: 3, on: .cpu),
        ]
    }

    @Test("every stored layer, parameter and buffer is registered")
    func everyLayerRegisters() throws {
        for layer in try Self.everyLayerType() {
            #expect(unregistered(in: layer).isEmpty, "\(type(of: layer)): \(unregistered(in: layer))")
        }
    }

    @Test("the check finds a forgotten child and parameter")
    func checkCanFail() throws {
        #expect(unregistered(in: try Forgetful()) == ["head", "scale", "running"])
    }

    /// Stored properties holding a layer, parameter or tensor (also inside optionals and arrays) that are
    /// not among `children`, `parameters` or `buffers`, by property name.
    private func unregistered(in layer: any Layer) -> [String] {
        let children = layer.children.map { ObjectIdentifier($0.layer) }
        let parameters = layer.parameters.map { ObjectIdentifier($0.parameter) }
        let buffers = layer.buffers.map { ObjectIdentifier($0.tensor) }
        return Mirror(reflecting: layer).children.compactMap { property in
            let name = property.label ?? "?"
            let missing = flattened(property.value).contains { value in
                switch value {
                case let child as any Layer: return !children.contains(ObjectIdentifier(child))
                case let parameter as Parameter: return !parameters.contains(ObjectIdentifier(parameter))
                case let tensor as Tensor: return !buffers.contains(ObjectIdentifier(tensor))
                default: return false
                }
            }
            return missing ? name : nil
        }
    }

    /// The value itself, an optional's content, or an array's elements.
    private func flattened(_ value: Any) -> [Any] {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional, .collection: return mirror.children.flatMap { flattened($0.value) }
        default: return [value]
        }
    }
}

/// A layer that forgets to register a child, a parameter and a buffer.
private final class Forgetful: Layer {
    let body = ReLU()
    let head: Linear?
    let scale = Parameter(try! Tensor.zeros([1], on: .cpu), role: .normScale)
    let running = [try! Tensor.zeros([1], on: .cpu)]

    init() throws {
        var generator = SeededGenerator(seed: 2)
        head = try Linear(1, 1, on: .cpu, generator: &generator)
    }

    var children: [(name: String, layer: any Layer)] { [("body", body)] }
    func sameArchitecture() throws -> Forgetful { try Forgetful() }
    func forward(_ x: Tensor, recordingInto record: ForwardRecord?) throws -> Tensor { x }
    func backward(_ gradient: Tensor, from record: ForwardRecord) throws -> Tensor { gradient }
}
