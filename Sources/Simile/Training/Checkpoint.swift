import Foundation

extension Trainer {
    /// Every tensor of the run under one prefix per part: "encoder." and the method's networks ("head.") with
    /// torchvision-style names, "method." for what the method keeps besides them, "optimizer." for the optimiser's
    /// state, and "progress.epoch" / "progress.step" (int64 []). The order of epochs and views follows from the
    /// configuration's seed, so these and the configuration are all a resumed run needs.
    public func checkpointState() -> [(name: String, value: StateValue)] {
        func prefixed(_ prefix: String, _ state: [(name: String, value: StateValue)]) -> [(name: String, value: StateValue)] {
            state.map { (prefix + "." + $0.name, $0.value) }
        }
        var state = prefixed("encoder", encoder.stateDict())
        for (prefix, layer) in method.trainable { state += prefixed(prefix, layer.stateDict()) }
        state += prefixed("method", method.state)
        state += prefixed("optimizer", optimizer.stateDict())
        return state + [("progress.epoch", .count(Int64(epoch))), ("progress.step", .count(Int64(step)))]
    }

    /// Writes `DIRECTORY/checkpoint.safetensors` (the whole run, its configuration as metadata) and
    /// `DIRECTORY/backbone.safetensors` (the encoder alone under torchvision's names, for `load_state_dict`), each
    /// atomically, so an interruption leaves the previous files whole.
    public func writeCheckpoint(to directory: String) throws {
        let metadata = ["format": "simile-checkpoint", "configuration": try configuration.json(),
                        "epoch": String(epoch), "step": String(step)]
        try Safetensors.write(state: checkpointState(), metadata: metadata, to: directory + "/checkpoint.safetensors")
        try Safetensors.write(state: encoder.stateDict(), metadata: ["format": "pt", "model": configuration.model.rawValue],
                              to: directory + "/backbone.safetensors")
    }
}
