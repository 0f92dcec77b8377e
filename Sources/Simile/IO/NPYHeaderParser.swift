import Foundation

/// The three entries every .npy header holds.
struct NPYHeader {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]
}

/// A strict parser for the header's Python dict literal: exactly the keys 'descr' (a quoted string),
/// 'fortran_order' (True or False) and 'shape' (a tuple of non-negative ints: `()`, `(3,)`, `(2, 3)`),
/// in any order, with an optional trailing comma and any whitespace between tokens.
struct NPYHeaderParser {
    let text: [UInt8]
    let path: String
    var position = 0

    mutating func parse() throws -> NPYHeader {
        var descr: String?, fortranOrder: Bool?, shape: [Int]?
        try expect("{")
        while !consume("}") {
            let key = try quotedString(what: "a quoted key")
            try expect(":")
            switch key {
            case "descr" where descr == nil: descr = try quotedString(what: "a quoted dtype such as '<f4'")
            case "fortran_order" where fortranOrder == nil: fortranOrder = try bool()
            case "shape" where shape == nil: shape = try tuple()
            case "descr", "fortran_order", "shape": throw failure("the header repeats the key '\(key)'")
            default:
                throw failure("the header has an unexpected key '\(key)'; expected only 'descr', 'fortran_order' "
                              + "and 'shape'")
            }
            if !consume(",") {
                try expect("}")
                break
            }
        }
        skipWhitespace()
        guard position == text.count else { throw syntaxError(expected: "only whitespace after '}'") }
        guard let descr else { throw failure("the header has no 'descr' key") }
        guard let fortranOrder else { throw failure("the header has no 'fortran_order' key") }
        guard let shape else { throw failure("the header has no 'shape' key") }
        return NPYHeader(descr: descr, fortranOrder: fortranOrder, shape: shape)
    }

    /// A string in single or double quotes, without escapes (no dtype name or key needs one).
    private mutating func quotedString(what: String) throws -> String {
        skipWhitespace()
        guard let quote = peek, quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else {
            throw syntaxError(expected: what)
        }
        let start = position + 1
        guard let end = text[start...].firstIndex(where: { $0 == quote || $0 == UInt8(ascii: "\\") || $0 == 0x0a }),
              text[end] == quote else {
            throw failure("the header has a string at character \(position) that is unterminated or uses escapes")
        }
        position = end + 1
        return String(decoding: text[start..<end], as: UTF8.self)
    }

    private mutating func bool() throws -> Bool {
        if consume("True") { return true }
        if consume("False") { return false }
        throw syntaxError(expected: "True or False for 'fortran_order'")
    }

    /// A tuple of dimensions. Like Python, `(3)` is an int, not a tuple: one element needs a trailing comma.
    private mutating func tuple() throws -> [Int] {
        try expect("(")
        var dimensions: [Int] = []
        while !consume(")") {
            dimensions.append(try dimension())
            if !consume(",") {
                try expect(")")
                guard dimensions.count != 1 else {
                    throw failure("'shape' is (\(dimensions[0])), which is an int, not a tuple; "
                                  + "expected a trailing comma: (\(dimensions[0]),)")
                }
                break
            }
        }
        return dimensions
    }

    private mutating func dimension() throws -> Int {
        skipWhitespace()
        if peek == UInt8(ascii: "-") { throw failure("'shape' has a negative dimension at character \(position)") }
        let digits = text[position...].prefix(while: { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        guard !digits.isEmpty else { throw syntaxError(expected: "a dimension (a non-negative int) in 'shape'") }
        position += digits.count
        guard let value = Int(String(decoding: digits, as: UTF8.self)) else {
            throw failure("'shape' has the dimension \(String(decoding: digits, as: UTF8.self)), which is too large")
        }
        return value
    }

    private var peek: UInt8? { position < text.count ? text[position] : nil }

    private mutating func skipWhitespace() {
        while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d { position += 1 }
    }

    /// Skips whitespace, then `token` if it comes next; says whether it did.
    private mutating func consume(_ token: String) -> Bool {
        skipWhitespace()
        guard text[position...].starts(with: token.utf8) else { return false }
        position += token.utf8.count
        return true
    }

    private mutating func expect(_ token: String) throws {
        guard consume(token) else { throw syntaxError(expected: "'\(token)'") }
    }

    private func failure(_ sentence: String) -> SimileError { .invalidArgument("\(path): \(sentence)") }

    /// An error naming what was expected at the current position and the text found there.
    private func syntaxError(expected: String) -> SimileError {
        let found = position < text.count
            ? "\"\(NPY.escaped(text[position...].prefix(12)))\""
            : "the end of the header"
        return failure("the header is not a valid dict literal: expected \(expected) at character \(position), "
                       + "found \(found)")
    }
}
