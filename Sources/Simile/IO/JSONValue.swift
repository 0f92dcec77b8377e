/// A JSON value exactly as written: objects keep their keys in order, and integers are told apart from
/// other numbers, so a safetensors header can be checked strictly (Foundation's JSONSerialization silently
/// keeps one of two duplicate keys and reads 1.0 and true as numbers like 1).
indirect enum JSONValue {
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    /// A number without fraction or exponent that fits in an `Int`.
    case integer(Int)
    /// Any other number, as written.
    case number(String)
    case bool(Bool)
    case null

    /// What kind of value this is, for errors ("expected an array, found a string").
    var kind: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .integer, .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }
}
