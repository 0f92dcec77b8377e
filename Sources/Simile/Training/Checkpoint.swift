import Foundation

extension Trainer {
    /// Every tensor of the run under one prefix per part: "encoder.", the method's networks ("head.") and the
    /// online probe ("online_probe.") with
    /// torchvision-style names, "method." for what the method keeps besides them, "optimizer." for the optimiser's
    /// state, and "progress.epoch" (epochs completed) / "progress.step" (steps taken, which may end inside the next
    /// epoch when the run was stopped there), both int64 []. The order of epochs and views follows from the
    /// configuration's seed, so these and the configuration are all a resumed run needs.
    public func checkpointState() -> [(name: String, value: StateValue)] {
        var state = trainedNetworks.flatMap { prefixed($0.prefix, $0.layer.stateDict()) }
        state += prefixed("method", method.state)
        state += prefixed("optimizer", optimizer.stateDict())
        return state + [("progress.epoch", .count(Int64(epoch))), ("progress.step", .count(Int64(step)))]
    }

    /// Writes `DIRECTORY/checkpoint.safetensors` (the whole run, its configuration as metadata) and
    /// `DIRECTORY/backbone.safetensors` (the encoder alone under torchvision's names, for `load_state_dict`), each
    /// atomically, so an interruption leaves the previous files whole. The metadata's "progress" is `progress` as
    /// JSON (the epoch's running sums, kept exactly: JSON numbers round-trip a Double).
    public func writeCheckpoint(to directory: String) throws {
        let progressJSON = String(decoding: try JSONEncoder().encode(progress), as: UTF8.self)
        let metadata = ["format": "simile-checkpoint", "configuration": try configuration.json(),
                        "epoch": String(epoch), "step": String(step), "progress": progressJSON]
        try Safetensors.write(state: checkpointState(), metadata: metadata, to: directory + "/checkpoint.safetensors")
        try Safetensors.write(state: encoder.stateDict(), metadata: ["format": "pt", "model": configuration.model.rawValue],
                              to: directory + "/backbone.safetensors")
    }
}

extension Trainer {
    /// Continues the run saved in `tensors` and `metadata` (as `Safetensors.read` gives a checkpoint written by
    /// `writeCheckpoint` for this configuration): the networks, the optimiser's state and the progress are loaded, so
    /// that the remaining epochs are the ones the uninterrupted run would have trained (the order and the views of
    /// each epoch follow from the seed). Every part is checked strictly before anything is loaded: a checkpoint of
    /// another model or method is one error listing what does not fit, and one whose values no run could have
    /// written (a weight or an optimiser buffer that is not finite, a negative running variance) is refused, so
    /// that no command computes with it.
    public func restore(from tensors: [SafetensorsTensor], metadata: [String: String] = [:]) throws {
        try Self.requirePlausibleValues(tensors)
        func part(_ prefix: String) -> [SafetensorsTensor] { entries(under: prefix, of: tensors) }
        func count(_ name: String) throws -> Int {
            guard let entry = tensors.first(where: { $0.name == name }), case let .int64(values) = entry.data,
                  values.count == 1, values[0] >= 0 else {
                throw SimileError.invalidArgument("the checkpoint has no valid \(name) (an int64 scalar ≥ 0)")
            }
            return Int(values[0])
        }
        let run = "this run's \(configuration.architecture)"
        for (prefix, layer) in trainedNetworks { try layer.load(part(prefix), name: run + " (\(prefix).*)") }
        try method.loadState(part("method"), owner: "this run's \(method.name) (method.*)")
        try optimizer.load(part("optimizer"))
        let (savedEpoch, savedStep) = (try count("progress.epoch"), try count("progress.step"))
        let perEpoch = loader.sampler.batchesPerEpoch
        guard savedEpoch <= configuration.epochs, savedStep >= savedEpoch * perEpoch,
              savedStep < (savedEpoch + 1) * perEpoch || (savedEpoch == configuration.epochs && savedStep == savedEpoch * perEpoch) else {
            throw SimileError.invalidArgument("the checkpoint's progress (epoch \(savedEpoch), step \(savedStep)) does not "
                                              + "fit this run of \(configuration.epochs) epochs of "
                                              + "\(perEpoch) steps")
        }
        (epoch, step) = (savedEpoch, savedStep)
        if let text = metadata["progress"] {
            do {
                progress = try JSONDecoder().decode(RunProgress.self, from: Data(text.utf8))
            } catch {
                throw SimileError.invalidArgument("the checkpoint's progress metadata is not valid: \(text)")
            }
        }
    }

    /// Refuses float values no training run writes: any that is not finite, and a negative running variance.
    private static func requirePlausibleValues(_ tensors: [SafetensorsTensor]) throws {
        for tensor in tensors {
            guard case let .float32(values) = tensor.data else { continue }
            func element(_ flat: Int) -> String { tensor.shape.isEmpty ? "" : "\(rowMajorIndex(flat, in: tensor.shape))" }
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw SimileError.invalidArgument("the checkpoint's \(tensor.name)\(element(bad)) is "
                                                  + "\(values[bad]); a run's weights and state are finite (this run "
                                                  + "diverged before it was saved, or the file was changed)")
            }
            if tensor.name.hasSuffix("running_var"), let bad = values.firstIndex(where: { $0 < 0 }) {
                throw SimileError.invalidArgument("the checkpoint's \(tensor.name)\(element(bad)) is "
                                                  + "\(values[bad]); a running variance is never negative (the file "
                                                  + "was changed)")
            }
        }
    }
}
