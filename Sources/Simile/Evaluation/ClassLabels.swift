/// Checks a label array against its feature rows: one label per row, each in 0..<classes. `op` and `name`
/// ("knnClassify", "testLabels") name the failure.
func requireLabels(_ op: String, _ name: String, _ labels: [Int], for features: Tensor, classes: Int) throws {
    guard labels.count == features.shape[0] else {
        throw SimileError.shapeMismatch(
            op: op, detail: "\(name) has \(labels.count) labels for \(features.shape[0]) feature rows \(features.shape)")
    }
    if let bad = labels.firstIndex(where: { !(0..<classes).contains($0) }) {
        throw SimileError.invalidArgument("\(op): \(name)[\(bad)] = \(labels[bad]) is outside the classes 0..<\(classes)")
    }
}

/// Checks the class count: at least 1.
func requireClasses(_ op: String, _ classes: Int) throws {
    guard classes >= 1 else { throw SimileError.invalidArgument("\(op): classes must be ≥ 1, got \(classes)") }
}
