import Simile

/// A training flag's default as its help says it, from `TrainingConfiguration.defaults` itself so that the help
/// cannot drift from it: "100; digits 60; mnist, fashion-mnist 30" (the most common value first, then the data
/// sets that differ). When the methods' tables differ, one such list per group of methods:
/// "default: simclr, dcl, dclw: 0.5 | moco: 0.1; stl10, folder 0.2". Methods without the setting are left out.
/// With `setting`, only the methods that read it are listed.
func trainingDefault<Value: Equatable>(_ key: KeyPath<TrainingConfiguration, Value>, of setting: MethodSetting? = nil,
                                       _ text: (Value) -> String = { "\($0)" }) -> String {
    var groups: [(text: String, methods: [String])] = []
    let methods = MethodRegistry.entries.filter { entry in setting.map { entry.settings.contains($0) } ?? true }
    for method in methods.map(\.name) {
        guard let perDataset = datasetDefaults(key, method: method, text) else { continue }
        if let index = groups.firstIndex(where: { $0.text == perDataset }) {
            groups[index].methods.append(method)
        } else {
            groups.append((perDataset, [method]))
        }
    }
    guard groups.count > 1 || groups.first?.methods.count != MethodRegistry.entries.count else {
        return "default: " + (groups.first?.text ?? "?")
    }
    return "default: " + groups.map { $0.methods.joined(separator: ", ") + ": " + $0.text }.joined(separator: " | ")
}

/// `trainingDefault` of a setting only some methods have (`--queue-size`): the others are left out.
func methodSettingDefault<Value: Equatable>(_ key: KeyPath<TrainingConfiguration, Value?>, of setting: MethodSetting,
                                            _ text: (Value) -> String = { "\($0)" }) -> String {
    trainingDefault(key, of: setting) { $0.map(text) ?? "-" }
}

/// "100; digits 60; mnist, fashion-mnist 30" for `method`; nil when the method's value is "-" everywhere.
private func datasetDefaults<Value: Equatable>(_ key: KeyPath<TrainingConfiguration, Value>, method: String,
                                               _ text: (Value) -> String) -> String? {
    let datasets = ["digits", "mnist", "fashion-mnist", "cifar10", "cifar100", "stl10", "folder"]
    let values = datasets.map { name in
        // Each kind's defaults depend on the kind only, so any directory stands in for the user's.
        (try? TrainingConfiguration.defaults(for: name == "digits" ? name : name + ":DIR", method: method))
            .map { $0[keyPath: key] }
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
    let shown = groups.map { show($0.value) }
    if shown.allSatisfy({ $0 == "-" }) { return nil }
    return ([shown[0]] + groups.dropFirst().map { $0.names.joined(separator: ", ") + " " + show($0.value) })
        .joined(separator: "; ")
}
