import Foundation

/// Updates a model's parameters in place from their accumulated gradients, by one `OptimizerRule`.
///
/// Parameters are given as `Layer.namedParameters()` gives them; each joins the first
/// `ParameterGroup` that takes its role, else the default group (`learningRate`, `weightDecay`,
/// adapted); names only label it (`group(of:)`, checkpoints). The state (momentum buffers, Adam
/// moments) lives on each parameter's device; per-parameter step counts live on the host, so a step
/// reads nothing back from a device.
/// Parameters without a gradient (frozen, or unused this step) are skipped and keep their state.
///
///     let lr = BatchScaling.linear.scale(0.3, batchSize: 512)
///     let optimizer = try Optimizer(.lars(), model.namedParameters(), learningRate: lr,
///                                   weightDecay: 1e-6, groups: [.larsExcluded(learningRate: lr)])
///     for step in 0..<steps {
///         try optimizer.setLearningRate(schedule.learningRate(at: step))
///         ... forward, backward ...
///         try optimizer.step()
///     }
public final class Optimizer {
    public let rule: OptimizerRule
    /// The groups given, then the default group last.
    public private(set) var groups: [ParameterGroup]
    var entries: [Entry]

    struct Entry {
        let name: String
        let parameter: Parameter
        let group: Int
        let state: [Tensor]
        var steps = 0
    }

    public init(_ rule: OptimizerRule, _ parameters: [(name: String, parameter: Parameter)], learningRate: Float,
                weightDecay: Float = 0, groups: [ParameterGroup] = []) throws {
        try rule.validate()
        let defaultGroup = ParameterGroup([], learningRate: learningRate, weightDecay: weightDecay)
        let all = groups + [defaultGroup]
        try all.forEach { try $0.validate() }
        self.rule = rule
        self.groups = all
        entries = try parameters.map { name, parameter in
            let group = groups.firstIndex { $0.takes(name, parameter.role) } ?? groups.count
            let state = try rule.stateKeys.map { _ in
                try Tensor.zeros(parameter.value.shape, on: parameter.value.device)
            }
            return Entry(name: name, parameter: parameter, group: group, state: state)
        }
    }

    /// The index in `groups` of the group the parameter `name` belongs to; nil for an unknown name.
    public func group(of name: String) -> Int? {
        entries.first { $0.name == name }?.group
    }

    /// Sets the learning rate of one group, or of every group but those with a fixed one when `group` is nil (for
    /// schedules).
    public func setLearningRate(_ learningRate: Float, group: Int? = nil) throws {
        try requireNonNegative("learning rate", learningRate)
        if let group {
            guard groups.indices.contains(group) else {
                throw SimileError.invalidArgument("no parameter group \(group); this optimiser has \(groups.count)")
            }
            groups[group].learningRate = learningRate
        } else {
            for index in groups.indices where !groups[index].fixedLearningRate { groups[index].learningRate = learningRate }
        }
    }

    /// Applies one update to every parameter that has a gradient.
    public func step() throws {
        for index in entries.indices {
            let entry = entries[index]
            guard let gradient = entry.parameter.gradient else { continue }
            let value = entry.parameter.value
            guard gradient.shape == value.shape else {
                throw SimileError.shapeMismatch(op: "optimizer step",
                                                detail: "\(entry.name): gradient \(gradient.shape), value \(value.shape)")
            }
            let group = groups[entry.group]
            let update = ParameterUpdate(value: value, gradient: gradient, state: entry.state,
                                         learningRate: group.learningRate, weightDecay: group.weightDecay,
                                         adapt: !group.excludedFromAdaptation, step: entry.steps + 1)
            try update.apply(rule)
            entries[index].steps += 1
        }
    }
}

/// One parameter's update at one step: its tensors and the host-side scalars of its group.
struct ParameterUpdate {
    let value: Tensor
    let gradient: Tensor
    /// Momentum buffer (SGD, LARS with μ > 0) or the moments m, v (AdamW).
    let state: [Tensor]
    let learningRate: Float
    let weightDecay: Float
    let adapt: Bool
    /// 1 at the parameter's first update.
    let step: Int

    func apply(_ rule: OptimizerRule) throws {
        switch value.device.backend {
        case .cpu(let cpu): applyCPU(rule, cpu)
        case .opencl(let cl): try applyOpenCL(rule, cl)
        }
    }

    /// AdamW's bias corrections 1 − β1^t and 1 − β2^t, computed on the host in double.
    func biasCorrections(beta1: Float, beta2: Float) -> (Float, Float) {
        (Float(1 - pow(Double(beta1), Double(step))), Float(1 - pow(Double(beta2), Double(step))))
    }
}
