/// One tensor's entry in a safetensors header, checked: a known dtype, a shape whose element and byte counts
/// fit in an `Int`, and offsets that span exactly those bytes.
struct SafetensorsEntry {
    let name: String
    let dtype: SafetensorsDType
    let shape: [Int]
    let begin: Int
    let end: Int
    /// The entry's position in the header, to keep header order among tensors at the same offset.
    let index: Int
}

/// A parsed and checked safetensors header: entries sorted by offset, contiguous from 0.
struct SafetensorsHeader {
    let entries: [SafetensorsEntry]
    let metadata: [String: String]
    /// The data's length: the last entry's end.
    let dataLength: Int

    /// Parses `bytes` (the header, padding included) and checks every entry and that the entries tile the data
    /// with no gap or overlap. Errors are sentences without the file name.
    init(_ bytes: [UInt8]) throws(SafetensorsHeaderError) {
        guard String(validating: bytes, as: UTF8.self) != nil else { throw .init("the header is not valid UTF-8") }
        let json: JSONValue
        do { json = try JSONParser.parse(bytes) } catch { throw .init("the header is not valid JSON: \(error.message)") }
        guard case let .object(members) = json else { throw .init("the header is \(json.kind), expected a JSON object") }
        var entries: [SafetensorsEntry] = []
        var metadata: [String: String] = [:]
        for (index, member) in members.enumerated() {
            if member.key == Safetensors.metadataKey {
                metadata = try Self.metadata(member.value)
            } else {
                entries.append(try Self.entry(member.key, member.value, index: index))
            }
        }
        entries.sort { ($0.begin, $0.end, $0.index) < ($1.begin, $1.end, $1.index) }
        var offset = 0
        for entry in entries {
            guard entry.begin == offset else {
                let problem = entry.begin > offset ? "leaves a gap after" : "overlaps"
                throw .init("tensor '\(entry.name)' starts at byte \(entry.begin), which \(problem) the data before "
                            + "it (ending at byte \(offset)); tensors must be contiguous from byte 0")
            }
            offset = entry.end
        }
        self.entries = entries
        self.metadata = metadata
        dataLength = offset
    }

    private static func metadata(_ value: JSONValue) throws(SafetensorsHeaderError) -> [String: String] {
        guard case let .object(members) = value else {
            throw .init("'\(Safetensors.metadataKey)' is \(value.kind), expected an object of strings")
        }
        var metadata: [String: String] = [:]
        for (key, value) in members {
            guard case let .string(text) = value else {
                throw .init("metadata '\(key)' is \(value.kind), expected a string")
            }
            metadata[key] = text
        }
        return metadata
    }

    private static func entry(_ name: String, _ value: JSONValue, index: Int) throws(SafetensorsHeaderError)
        -> SafetensorsEntry {
        let fields = "exactly the fields dtype, shape and data_offsets"
        guard case let .object(members) = value else {
            throw .init("tensor '\(name)' is \(value.kind), expected an object with \(fields)")
        }
        let keys = members.map(\.key)
        guard keys.count == 3, Set(keys) == ["dtype", "shape", "data_offsets"] else {
            throw .init("tensor '\(name)' has the fields \(keys), expected \(fields)")
        }
        let field = Dictionary(uniqueKeysWithValues: members.map { ($0.key, $0.value) })
        guard case let .string(dtypeName)? = field["dtype"] else {
            throw .init("tensor '\(name)': dtype is \(field["dtype"]!.kind), expected a string")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            let known = SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
            throw .init("tensor '\(name)': dtype '\(dtypeName)' is not supported; expected one of \(known)")
        }
        let shape = try integers(field["shape"]!, "tensor '\(name)': shape")
        let offsets = try integers(field["data_offsets"]!, "tensor '\(name)': data_offsets")
        guard offsets.count == 2 else {
            throw .init("tensor '\(name)': data_offsets has \(offsets.count) numbers, expected 2 [begin, end]")
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end else { throw .init("tensor '\(name)': data_offsets [\(begin), \(end)] ends before it begins") }
        guard let count = try? CheckedSize.elements(shape), count <= Int.max / dtype.itemSize else {
            throw .init("tensor '\(name)': shape \(shape) has more bytes than this machine can address")
        }
        let byteCount = count * dtype.itemSize
        guard end - begin == byteCount else {
            throw .init("tensor '\(name)': data_offsets [\(begin), \(end)] span \(end - begin) bytes, but shape "
                        + "\(shape) of \(dtype.rawValue) needs \(byteCount)")
        }
        return SafetensorsEntry(name: name, dtype: dtype, shape: shape, begin: begin, end: end, index: index)
    }

    /// `value` as an array of integers ≥ 0, each fitting in an `Int`.
    private static func integers(_ value: JSONValue, _ what: String) throws(SafetensorsHeaderError) -> [Int] {
        guard case let .array(elements) = value else { throw .init("\(what) is \(value.kind), expected an array") }
        var result: [Int] = []
        for element in elements {
            guard case let .integer(number) = element, number >= 0 else {
                let found: String
                switch element {
                case let .integer(number): found = String(number)
                case let .number(text): found = text
                default: found = element.kind
                }
                throw .init("\(what) holds \(found), expected integers from 0 to \(Int.max)")
            }
            result.append(number)
        }
        return result
    }
}

/// Why a safetensors header was refused, as a sentence; the decoder prefixes the file name.
struct SafetensorsHeaderError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
