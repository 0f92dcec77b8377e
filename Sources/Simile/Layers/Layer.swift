/// A part of a model with an explicit forward and backward pass.
///
/// `forward(x, recordingInto: record)` computes the output and, when given a record, saves in it exactly
/// what the backward pass needs (an input, an output mask, batch statistics); `backward(dy, from: record)`
/// takes that back out, accumulates the parameters' gradients and returns dLoss/dinput. Most code uses
/// the two ends: `forward(x)` (nothing kept) and `recordedForward(x)` + `ForwardRecord.backward`.
/// Recording is independent of the batch-norm mode (`setTraining`): a MoCo key encoder runs batch norm on
/// batch statistics without recording. Parameters and buffers are named as torchvision names them
/// ("layer1.0.conv1.weight", "bn1.running_mean"), for optimisers and checkpoints.
public protocol Layer: AnyObject {
    /// The output for `x`; with a record, also what `backward` will need, saved into it.
    func forward(_ x: Tensor, recordingInto record: ForwardRecord?) throws -> Tensor
    /// Given dLoss/doutput of the forward call saved in `record`, returns dLoss/dinput.
    func backward(_ gradient: Tensor, from record: ForwardRecord) throws -> Tensor
    /// Sub-layers, by the name that prefixes their parameters. Every stored sub-layer must be listed
    /// (`LayerRegistrationTests` checks each layer type by reflection).
    var children: [(name: String, layer: any Layer)] { get }
    /// This layer's own trainable tensors (not its children's).
    var parameters: [(name: String, parameter: Parameter)] { get }
    /// This layer's own non-trainable float state, updated by `forward` in training mode (running statistics).
    var buffers: [(name: String, tensor: Tensor)] { get }
    /// A new layer of the same architecture on the same device, its values freshly initialised; `clone()`
    /// then copies the state into it.
    func sameArchitecture() throws -> Self
}

extension Layer {
    public var children: [(name: String, layer: any Layer)] { [] }
    public var parameters: [(name: String, parameter: Parameter)] { [] }
    public var buffers: [(name: String, tensor: Tensor)] { [] }

    /// The output for `x`, keeping nothing for a backward pass.
    public func forward(_ x: Tensor) throws -> Tensor { try forward(x, recordingInto: nil) }

    /// The output for `x` and the record of this call, for `record.backward(dLossDy)`.
    public func recordedForward(_ x: Tensor) throws -> (output: Tensor, record: ForwardRecord) {
        let record = ForwardRecord(root: self)
        return (try forward(x, recordingInto: record), record)
    }

    /// This layer and all its descendants, depth first, with their dotted paths ("" for this one).
    public func namedLayers() -> [(name: String, layer: any Layer)] {
        [("", self)] + children.flatMap { child in
            child.layer.namedLayers().map { (child.name + ($0.name.isEmpty ? "" : "." + $0.name), $0.layer) }
        }
    }

    /// Every parameter of this layer and its descendants, with its dotted path, in definition order.
    public func namedParameters() -> [(name: String, parameter: Parameter)] {
        namedLayers().flatMap { path, layer in layer.parameters.map { (dotted(path, $0.name), $0.parameter) } }
    }

    /// Every buffer of this layer and its descendants, with its dotted path.
    public func namedBuffers() -> [(name: String, tensor: Tensor)] {
        namedLayers().flatMap { path, layer in layer.buffers.map { (dotted(path, $0.name), $0.tensor) } }
    }

    /// Batch norm everywhere below uses batch statistics and updates its running statistics (true, PyTorch's
    /// `train()`) or uses the running statistics (false, `eval()`). No other layer depends on the mode.
    public func setTraining(_ training: Bool) {
        for (_, layer) in namedLayers() { (layer as? BatchNorm)?.isTraining = training }
    }

    /// Sets how every convolution below computes its forward pass and gradients. `winograd` means Winograd
    /// wherever it applies: convolutions it cannot run (every ResNet's strided and 1×1 ones) run `direct`.
    public func setConvAlgorithm(_ algorithm: ConvAlgorithm) {
        for (_, layer) in namedLayers() {
            guard let conv = layer as? Conv2d else { continue }
            let shape = conv.weight.value.shape
            let applies = ConvGeometry.allowsWinograd(kernelHeight: shape[2], kernelWidth: shape[3], stride: conv.stride,
                                                      padding: conv.padding)
            conv.algorithm = algorithm == .winograd && !applies ? .direct : algorithm
        }
    }

    /// Freezes (or unfreezes) every parameter below: frozen ones get no gradient and optimisers skip them.
    public func setFrozen(_ frozen: Bool) {
        namedParameters().forEach { $0.parameter.isFrozen = frozen }
    }

    public func zeroGradients() {
        namedParameters().forEach { $0.parameter.zeroGradient() }
    }

    /// Runs the children in order: the forward pass of a chain of layers.
    func forwardThroughChildren(_ x: Tensor, _ record: ForwardRecord?) throws -> Tensor {
        try children.reduce(x) { h, child in try inChild(child.name) { try child.layer.forward(h, recordingInto: record) } }
    }

    /// The backward pass of `forwardThroughChildren`: the children in reverse order.
    func backwardThroughChildren(_ gradient: Tensor, _ record: ForwardRecord) throws -> Tensor {
        try children.reversed().reduce(gradient) { g, child in
            try inChild(child.name) { try child.layer.backward(g, from: record) }
        }
    }

    /// Runs `body` for the child `name`, so that an error raised inside names the layer it came from.
    func inChild<T>(_ name: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SimileError {
            if case let .inLayer(path, inner) = error { throw SimileError.inLayer(path: name + "." + path, error: inner) }
            throw SimileError.inLayer(path: name, error: error)
        }
    }
}

/// "prefix.name", or "name" at the root.
private func dotted(_ prefix: String, _ name: String) -> String { prefix.isEmpty ? name : prefix + "." + name }
