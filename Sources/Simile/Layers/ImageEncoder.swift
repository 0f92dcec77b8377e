/// The network a run trains to represent images: a layer from images [N, C, H, W] to features [N, outputFeatures],
/// the second of Falcon & Cho's five choices. The trainer builds the one `--model` names
/// (`TrainingConfiguration.Model`); its features are what the kNN monitor, the linear probe and `simile embed`
/// read, and a method may reach into it for more (YADIM's last feature map, through `ResNet.trunk`).
public protocol ImageEncoder: Layer {
    /// The width of the features.
    var outputFeatures: Int { get }
    /// Floats a training step keeps per image of `height` × `width` (activations for the backward pass and their
    /// gradients), for the estimate that refuses a step that cannot fit; nil when the count exceeds `Int`.
    func trainingFloatsPerImage(height: Int, width: Int) -> Int?
}

extension ImageEncoder {
    /// The device its parameters live on.
    public var device: Device { namedParameters()[0].parameter.value.device }

    /// Whether its batch norm runs on batch statistics (`setTraining(true)`); true for an encoder without batch norm.
    public var isTraining: Bool {
        namedLayers().lazy.compactMap { $0.layer as? BatchNorm }.first?.isTraining ?? true
    }
}

extension ResNet: ImageEncoder {}
