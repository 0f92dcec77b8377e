/// A strict RFC 8259 parser over UTF-8 bytes, small enough to fuzz: one value surrounded by whitespace,
/// no trailing commas or comments, control characters escaped inside strings, duplicate keys refused,
/// nesting at most `maxDepth` deep so that hostile input cannot overflow the stack. Errors are sentences
/// naming the byte offset; the caller prefixes the file.
struct JSONParser {
    static let maxDepth = 64

    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Parses the whole input as one JSON value.
    static func parse(_ bytes: [UInt8]) throws(JSONError) -> JSONValue {
        var parser = JSONParser(bytes)
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw parser.error("unexpected text after the JSON value") }
        return value
    }

    private func error(_ sentence: String) -> JSONError { JSONError(message: "\(sentence) at byte \(position)") }

    private var next: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while let byte = next, byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d { position += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(JSONError) {
        skipWhitespace()
        guard next == byte else { throw error("expected \(what)") }
        position += 1
    }

    private mutating func value(depth: Int) throws(JSONError) -> JSONValue {
        guard depth < Self.maxDepth else { throw error("JSON nested more than \(Self.maxDepth) deep") }
        skipWhitespace()
        guard let byte = next else { throw error("the JSON ends where a value was expected") }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw error("expected a JSON value")
        }
    }

    private mutating func object(depth: Int) throws(JSONError) -> JSONValue {
        position += 1
        var members: [(key: String, value: JSONValue)] = []
        var keys = Set<String>()
        skipWhitespace()
        if next == UInt8(ascii: "}") { position += 1; return .object(members) }
        repeat {
            skipWhitespace()
            guard next == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let keyStart = position
            let key = try string()
            guard keys.insert(key).inserted else {
                position = keyStart
                throw error("duplicate key '\(key)'")
            }
            try expect(UInt8(ascii: ":"), "':' after a key")
            members.append((key, try value(depth: depth + 1)))
            skipWhitespace()
        } while try separator(closing: UInt8(ascii: "}"), "',' or '}' in an object")
        return .object(members)
    }

    private mutating func array(depth: Int) throws(JSONError) -> JSONValue {
        position += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if next == UInt8(ascii: "]") { position += 1; return .array(elements) }
        repeat {
            elements.append(try value(depth: depth + 1))
            skipWhitespace()
        } while try separator(closing: UInt8(ascii: "]"), "',' or ']' in an array")
        return .array(elements)
    }

    /// Consumes ',' (true: another member follows) or `closing` (false).
    private mutating func separator(closing: UInt8, _ what: String) throws(JSONError) -> Bool {
        switch next {
        case UInt8(ascii: ","): position += 1; return true
        case closing: position += 1; return false
        default: throw error("expected \(what)")
        }
    }

    private mutating func literal(_ word: String) throws(JSONError) {
        let utf8 = Array(word.utf8)
        guard bytes.count - position >= utf8.count, Array(bytes[position..<position + utf8.count]) == utf8 else {
            throw error("expected a JSON value")
        }
        position += utf8.count
    }

    private mutating func number() throws(JSONError) -> JSONValue {
        let start = position
        func digits() -> Int {
            let first = position
            while let byte = next, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { position += 1 }
            return position - first
        }
        if next == UInt8(ascii: "-") { position += 1 }
        let leadingZero = next == UInt8(ascii: "0")
        let integerDigits = digits()
        guard integerDigits > 0, !(leadingZero && integerDigits > 1) else { throw error("malformed number") }
        var integral = true
        if next == UInt8(ascii: ".") {
            position += 1
            integral = false
            guard digits() > 0 else { throw error("malformed number") }
        }
        if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            position += 1
            integral = false
            if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw error("malformed number") }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if integral, let value = Int(text) { return .integer(value) }
        return .number(text)
    }

    private mutating func string() throws(JSONError) -> String {
        position += 1
        var utf8: [UInt8] = []
        while true {
            guard let byte = next else { throw error("unterminated string") }
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: utf8, as: UTF8.self) else { throw error("invalid UTF-8 in a string") }
                return text
            case UInt8(ascii: "\\"):
                try escape(into: &utf8)
            case 0..<0x20:
                position -= 1
                throw error("unescaped control character in a string")
            default:
                utf8.append(byte)
            }
        }
    }

    private mutating func escape(into utf8: inout [UInt8]) throws(JSONError) {
        guard let byte = next else { throw error("unterminated string") }
        position += 1
        let simple: [UInt8: UInt8] = [0x22: 0x22, 0x5c: 0x5c, 0x2f: 0x2f, 0x62: 0x08, 0x66: 0x0c,
                                      0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09]
        if let replacement = simple[byte] { utf8.append(replacement); return }
        guard byte == UInt8(ascii: "u") else { throw error("invalid escape in a string") }
        var scalar = try hex4()
        if (0xd800..<0xdc00).contains(scalar) {
            guard bytes.count - position >= 2, bytes[position] == 0x5c, bytes[position + 1] == UInt8(ascii: "u") else {
                throw error("unpaired surrogate in a string")
            }
            position += 2
            let low = try hex4()
            guard (0xdc00..<0xe000).contains(low) else { throw error("unpaired surrogate in a string") }
            scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
        }
        guard let unicode = Unicode.Scalar(scalar) else { throw error("unpaired surrogate in a string") }
        utf8.append(contentsOf: String(Character(unicode)).utf8)
    }

    private mutating func hex4() throws(JSONError) -> UInt32 {
        guard bytes.count - position >= 4 else { throw error("invalid \\u escape in a string") }
        var value: UInt32 = 0
        for byte in bytes[position..<position + 4] {
            guard let digit = Character(UnicodeScalar(byte)).hexDigitValue else {
                throw error("invalid \\u escape in a string")
            }
            value = value << 4 | UInt32(digit)
        }
        position += 4
        return value
    }
}

/// Why a JSON text was refused: a sentence ending with the byte offset.
struct JSONError: Error {
    let message: String
}
