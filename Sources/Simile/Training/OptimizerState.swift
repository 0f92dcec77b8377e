extension Optimizer {
    /// The optimiser's state under "PARAMETER.KEY" with torch's keys: `momentum_buffer` (SGD and LARS with
    /// momentum), `exp_avg` and `exp_avg_sq` (AdamW), and `step` (int64, shape []), the updates so far, on which
    /// SGD's first step and AdamW's bias correction depend. A checkpoint saves it beside the model's state so that
    /// a resumed run continues exactly. Tensors are the optimiser's own (not copies).
    public func stateDict() -> [(name: String, value: StateValue)] {
        entries.flatMap { entry in
            zip(rule.stateKeys, entry.state).map { (entry.name + "." + $0, StateValue.tensor($1)) }
                + [(entry.name + ".step", .count(Int64(entry.steps)))]
        }
    }

    /// Loads a state that `stateDict()` wrote for an optimiser with the same rule and parameters. Everything is
    /// checked first: one error lists the missing, unexpected and mismatched keys, and nothing changes then.
    public func load(_ tensors: [SafetensorsTensor]) throws {
        let names = entries.map(\.name)
        try loadState(tensors, into: stateDict(), strict: true, for: "this optimiser") { name, count in
            if let index = names.firstIndex(of: String(name.dropLast(".step".count))) { entries[index].steps = Int(count) }
        }
    }
}
