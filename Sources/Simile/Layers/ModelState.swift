/// One entry of a model's state, as torch's `state_dict()` holds it.
public enum StateValue {
    /// A parameter or a float buffer, on the model's device.
    case tensor(Tensor)
    /// Batch norm's `num_batches_tracked`: an int64 scalar (shape []), kept on the host.
    case count(Int64)

    /// The shape torch gives the entry.
    public var shape: [Int] {
        switch self {
        case let .tensor(tensor): return tensor.shape
        case .count: return []
        }
    }
}

extension Layer {
    /// Every parameter and buffer below this layer under torchvision's names, in torch's order: each layer's
    /// parameters, then its buffers ("running_mean", "running_var", "num_batches_tracked"), then its children.
    /// Tensors are the model's own (not copies); `Safetensors.write(state:)` saves them.
    public func stateDict() -> [(name: String, value: StateValue)] {
        namedLayers().flatMap { path, layer in
            let prefix = path.isEmpty ? "" : path + "."
            var entries = layer.parameters.map { (prefix + $0.name, StateValue.tensor($0.parameter.value)) }
            entries += layer.buffers.map { (prefix + $0.name, StateValue.tensor($0.tensor)) }
            if let norm = layer as? BatchNorm { entries.append((prefix + "num_batches_tracked", .count(norm.batchesTracked))) }
            return entries
        }
    }

    /// Loads `tensors` (as `Safetensors.read` gives them, e.g. from PyTorch) into this model's parameters and
    /// buffers in place, so that optimisers holding them stay valid. Everything is checked first and nothing is
    /// changed unless all of it fits: one error lists the missing keys, the unexpected keys and the entries whose
    /// shape or dtype differ. With `strict: false` missing and unexpected keys are allowed (as in torch's
    /// `load_state_dict`), wrong shapes never are. The error calls the model `name`.
    public func load(_ tensors: [SafetensorsTensor], strict: Bool = true, name: String = "this model") throws {
        try loadState(tensors, into: stateDict(), strict: strict, for: name, setCount: setBatchesTracked)
    }

    /// Copies every parameter and buffer of `source`, a model of the same architecture (same names and shapes,
    /// any device), into this one in place. Flags (frozen, training mode) stay as they are.
    public func copyState(from source: any Layer) throws {
        let (state, sourceState) = (stateDict(), source.stateDict())
        guard state.map(\.name) == sourceState.map(\.name),
              zip(state, sourceState).allSatisfy({ $0.value.shape == $1.value.shape }) else {
            let first = zip(state, sourceState).first { $0.name != $1.name || $0.value.shape != $1.value.shape }
            let detail = first.map { "\($0.name) \($0.value.shape) against \($1.name) \($1.value.shape)" }
                ?? "\(state.count) entries against \(sourceState.count)"
            throw SimileError.invalidArgument("copyState: the models differ in architecture: \(detail)")
        }
        for ((name, value), (_, sourceValue)) in zip(state, sourceState) {
            switch (value, sourceValue) {
            case let (.tensor(tensor), .tensor(sourceTensor)):
                try copy(sourceTensor.device === tensor.device ? sourceTensor : sourceTensor.to(tensor.device), into: tensor)
            case let (.count, .count(count)):
                setBatchesTracked(name, count)
            default:
                preconditionFailure("copyState: \(name) is a tensor in one model and a count in the other")
            }
        }
    }

    /// An independent copy: the same architecture on the same device, the same values, frozen flags and
    /// training mode (a BYOL or MoCo target network starts as one).
    public func clone() throws -> Self {
        let copy = try sameArchitecture()
        try copy.copyState(from: self)
        for ((_, parameter), (_, original)) in zip(copy.namedParameters(), namedParameters()) {
            parameter.isFrozen = original.isFrozen
        }
        for ((_, layer), (_, original)) in zip(copy.namedLayers(), namedLayers()) {
            if let norm = layer as? BatchNorm, let original = original as? BatchNorm { norm.isTraining = original.isTraining }
        }
        return copy
    }

    /// Sets the `num_batches_tracked` named `name` ("layer1.0.bn1.num_batches_tracked").
    private func setBatchesTracked(_ name: String, _ count: Int64) {
        let path = String(name.dropLast(".num_batches_tracked".count))
        guard let norm = namedLayers().first(where: { $0.name == path })?.layer as? BatchNorm else {
            preconditionFailure("no batch norm at \(path)")
        }
        norm.batchesTracked = count
    }
}

/// `state` with each name under `prefix` ("encoder" gives "encoder.conv1.weight"): how checkpoints keep the parts of
/// a run apart.
func prefixed(_ prefix: String, _ state: [(name: String, value: StateValue)]) -> [(name: String, value: StateValue)] {
    state.map { (prefix + "." + $0.name, $0.value) }
}

/// The entries of `tensors` under `prefix`, with the prefix taken off their names: `prefixed`'s inverse.
func entries(under prefix: String, of tensors: [SafetensorsTensor]) -> [SafetensorsTensor] {
    tensors.filter { $0.name.hasPrefix(prefix + ".") }.map {
        SafetensorsTensor(name: String($0.name.dropFirst(prefix.count + 1)), shape: $0.shape, data: $0.data)
    }
}

/// Loads `tensors` into `state` (tensors in place, counts through `setCount`) after checking all of them: one
/// error for everything missing (when `strict`), unexpected (when `strict`), of another shape or dtype, or a
/// negative count.
func loadState(_ tensors: [SafetensorsTensor], into state: [(name: String, value: StateValue)], strict: Bool,
               for owner: String, setCount: (String, Int64) -> Void) throws {
    let given = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    let known = Set(state.map(\.name))
    var problems: [String] = []
    let missing = state.map(\.name).filter { given[$0] == nil }
    let unexpected = tensors.map(\.name).filter { !known.contains($0) }
    if strict, !missing.isEmpty { problems.append("missing \(missing.joined(separator: ", "))") }
    if strict, !unexpected.isEmpty { problems.append("unexpected \(unexpected.joined(separator: ", "))") }
    for (name, value) in state {
        guard let entry = given[name] else { continue }
        if let mismatch = mismatch(entry, value) { problems.append("\(name): \(mismatch)") }
    }
    guard problems.isEmpty else {
        throw SimileError.invalidArgument("load: the state does not fit \(owner): " + problems.joined(separator: "; "))
    }
    for (name, value) in state {
        guard let entry = given[name] else { continue }
        switch (value, entry.data) {
        case let (.tensor(tensor), .float32(values)):
            try values.withUnsafeBufferPointer { try tensor.upload(from: $0.baseAddress!) }
        case let (.count, .int64(values)):
            setCount(name, values[0])
        default:
            preconditionFailure("load: \(name) passed the dtype check but does not match")
        }
    }
}

/// Why `entry` cannot be loaded into `value`, or nil when it can.
private func mismatch(_ entry: SafetensorsTensor, _ value: StateValue) -> String? {
    switch (value, entry.data) {
    case (.tensor, .float32), (.count, .int64):
        guard entry.shape == value.shape else { return "shape \(entry.shape) in the state, \(value.shape) in the model" }
        if case let .int64(values) = entry.data, values[0] < 0 { return "the count is \(values[0]); counts are ≥ 0" }
        return nil
    case (.tensor, .int64):
        return "dtype \(entry.dtype.rawValue) in the state, a float tensor in the model"
    case (.count, .float32):
        return "dtype \(entry.dtype.rawValue) in the state, I64 in the model"
    }
}
