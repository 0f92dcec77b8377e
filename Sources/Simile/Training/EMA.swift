/// One step of an exponential moving average of a model's weights: target = m·target + (1 − m)·online for
/// every parameter, as BYOL's target network, MoCo's key encoder and mean-teacher models are kept, so that
/// the target follows the trained `online` model slowly (m = 0.99–0.999 is typical; run it after each
/// optimiser step). With `includeBuffers` the running statistics are averaged the same way (timm's
/// ModelEma does so); without it the target keeps its own, updated by its own forward passes.
///
/// The two models must name the same tensors with the same shapes, in the same order: the first
/// difference is one `shapeMismatch`, raised, like a bad momentum or device, before any tensor changes.
/// Only the float tensors `namedParameters()` and `namedBuffers()` list are touched.
public func emaUpdate(target: any Layer, online: any Layer, momentum m: Float, includeBuffers: Bool = false) throws {
    let targets = averagedTensors(target, includeBuffers), onlines = averagedTensors(online, includeBuffers)
    if let mismatch = firstMismatch(targets, onlines) {
        throw SimileError.shapeMismatch(op: "emaUpdate", detail: mismatch)
    }
    for (t, o) in zip(targets, onlines) { try requireLerpOperands("emaUpdate", t.tensor, o.tensor, momentum: m) }
    for (t, o) in zip(targets, onlines) { try lerp(t.tensor, toward: o.tensor, momentum: m) }
}

/// The tensors the EMA averages, by name: the parameters' values, then (optionally) the buffers.
private func averagedTensors(_ model: any Layer, _ includeBuffers: Bool) -> [(name: String, tensor: Tensor)] {
    model.namedParameters().map { ($0.name, $0.parameter.value) } + (includeBuffers ? model.namedBuffers() : [])
}

/// A sentence naming the first position where the lists differ in name or shape, or nil when they agree.
private func firstMismatch(_ targets: [(name: String, tensor: Tensor)], _ onlines: [(name: String, tensor: Tensor)]) -> String? {
    func describe(_ list: [(name: String, tensor: Tensor)], _ index: Int) -> String {
        index < list.count ? "'\(list[index].name)' \(list[index].tensor.shape)" : "nothing (\(list.count) tensors)"
    }
    let index = (0..<max(targets.count, onlines.count)).first { i in
        i >= targets.count || i >= onlines.count
            || targets[i].name != onlines[i].name || targets[i].tensor.shape != onlines[i].tensor.shape
    }
    return index.map { "tensor \($0): target has \(describe(targets, $0)), online has \(describe(onlines, $0))" }
}
