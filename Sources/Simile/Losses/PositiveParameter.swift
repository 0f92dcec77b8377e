/// Temperatures and σ divide logits, so zero, negative, infinite or NaN values are refused with one error
/// naming the parameter (`name`: "contrastiveLoss: temperature", or a CLI option such as "--temperature").
public func requirePositive(_ value: Float, name: String) throws {
    guard value > 0, value.isFinite else {
        throw SimileError.invalidArgument("\(name) must be a positive number, got \(value)")
    }
}
