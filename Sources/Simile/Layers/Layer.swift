/// A part of a model with an explicit forward and backward pass.
///
/// In training mode `forward` keeps exactly what `backward` needs (an input, an output mask, batch
/// statistics) and `backward` releases it, accumulates the parameters' gradients and returns dLoss/dinput.
/// In eval mode `forward` keeps nothing. Parameters and buffers are named as torchvision names them
/// ("layer1.0.conv1.weight", "bn1.running_mean"), for optimisers and checkpoints.
public protocol Layer: AnyObject {
    func forward(_ x: Tensor) throws -> Tensor
    /// Given dLoss/doutput of the last training-mode `forward`, returns dLoss/dinput.
    func backward(_ gradient: Tensor) throws -> Tensor
    /// Training mode (batch statistics, activations kept for `backward`) or eval mode.
    var isTraining: Bool { get set }
    /// Sub-layers, by the name that prefixes their parameters.
    var children: [(name: String, layer: any Layer)] { get }
    /// This layer's own trainable tensors (not its children's).
    var parameters: [(name: String, parameter: Parameter)] { get }
    /// This layer's own non-trainable state, updated by `forward` in training mode (running statistics).
    var buffers: [(name: String, tensor: Tensor)] { get }
}

extension Layer {
    public var children: [(name: String, layer: any Layer)] { [] }
    public var parameters: [(name: String, parameter: Parameter)] { [] }
    public var buffers: [(name: String, tensor: Tensor)] { [] }

    /// Every parameter of this layer and its descendants, with its dotted path, in definition order.
    public func namedParameters() -> [(name: String, parameter: Parameter)] {
        parameters + children.flatMap { child in
            child.layer.namedParameters().map { (child.name + "." + $0.name, $0.parameter) }
        }
    }

    /// Every buffer of this layer and its descendants, with its dotted path.
    public func namedBuffers() -> [(name: String, tensor: Tensor)] {
        buffers + children.flatMap { child in
            child.layer.namedBuffers().map { (child.name + "." + $0.name, $0.tensor) }
        }
    }

    /// Switches this layer and all its descendants to training (true) or eval (false) mode.
    public func setTraining(_ training: Bool) {
        isTraining = training
        children.forEach { $0.layer.setTraining(training) }
    }

    public func zeroGradients() {
        namedParameters().forEach { $0.parameter.zeroGradient() }
    }

    /// Runs the children in order: the forward pass of a chain of layers.
    func forwardThroughChildren(_ x: Tensor) throws -> Tensor {
        try children.reduce(x) { h, child in try inChild(child.name) { try child.layer.forward(h) } }
    }

    /// The backward pass of `forwardThroughChildren`: the children in reverse order.
    func backwardThroughChildren(_ gradient: Tensor) throws -> Tensor {
        try children.reversed().reduce(gradient) { g, child in try inChild(child.name) { try child.layer.backward(g) } }
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

    /// The value a training-mode `forward` saved for `backward`, or an error when there is none.
    func requireSaved<T>(_ value: T?, _ layer: String) throws -> T {
        guard let value else {
            throw SimileError.invalidArgument("\(layer).backward called without a training-mode forward before it")
        }
        return value
    }
}
