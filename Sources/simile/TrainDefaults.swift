import Simile

/// A training flag's default as its help says it, from `TrainingConfiguration.defaults` itself so that the help
/// cannot drift from it: "100; digits 60; mnist, fashion-mnist 30" (the most common value first, then the data
/// sets that differ).
func trainingDefault<Value: Equatable>(_ key: KeyPath<TrainingConfiguration, Value>,
                                       _ text: (Value) -> String = { "\($0)" }) -> String {
    let datasets = ["digits", "mnist", "fashion-mnist", "cifar10", "cifar100", "stl10", "folder"]
    let values = datasets.map { name in
        // Each kind's defaults depend on the kind only, so any directory stands in for the user's.
        (try? TrainingConfiguration.defaults(for: name == "digits" ? name : name + ":DIR")).map { $0[keyPath: key] }
    }
    var groups: [(value: Value?, names: [String])] = []
    for (name, value) in zip(datasets, values) {
        if let index = groups.firstIndex(where: { $0.value == value }) {
            groups[index].names.append(name)
        } else {
            groups.append((value, [name]))
        }
    }
    // The most common value first; ties keep the data sets' order.
    groups = groups.enumerated().sorted { ($0.element.names.count, -$0.offset) > ($1.element.names.count, -$1.offset) }
        .map(\.element)
    func show(_ value: Value?) -> String { value.map(text) ?? "?" }
    return "default: " + ([show(groups[0].value)]
                          + groups.dropFirst().map { $0.names.joined(separator: ", ") + " " + show($0.value) })
        .joined(separator: "; ")
}
