import ArgumentParser
import Simile

/// Runs a check from the library as part of a command's `validate()`: its error becomes a usage error, so it is
/// printed with the command's usage and exits with 64, before any work starts.
public func asValidationError(_ check: () throws -> Void) throws {
    do {
        try check()
    } catch let error as SimileError {
        throw ValidationError(error.description)
    }
}

/// Checks the path given to `option` with `checkOutputPath`, naming the option in the error; nil passes.
public func validateOutputPath(_ path: String?, option: String) throws {
    guard let path else { return }
    try asValidationError {
        do {
            try checkOutputPath(path)
        } catch let error as SimileError {
            throw SimileError.invalidArgument("\(option): \(error)")
        }
    }
}

/// Checks each of a command's outputs with `validateOutputPath`, then that no two land on the same file.
public func validateOutputPaths(_ outputs: [(path: String?, option: String)]) throws {
    for (path, option) in outputs { try validateOutputPath(path, option: option) }
    try asValidationError { try checkDistinctOutputs(outputs) }
}

/// The value of a `--seed` flag: a whole number from 0 to 2^64 − 1; anything else is one error saying so.
public func parseSeed(_ text: String) throws -> UInt64 {
    guard let seed = UInt64(text) else {
        throw SimileError.invalidArgument("--seed must be a whole number from 0 to \(UInt64.max), got '\(text)'")
    }
    return seed
}

/// The value of a widths flag (`--head`, `--predictor`): comma-separated whole numbers ("512,128"); anything else is
/// one error naming the flag. (That each is ≥ 1 is the configuration's check.)
public func parseWidths(_ text: String, flag: String) throws -> [Int] {
    try text.split(separator: ",", omittingEmptySubsequences: false).map {
        guard let width = Int($0) else { throw SimileError.invalidArgument("\(flag): '\(text)' is not widths like 512,128") }
        return width
    }
}
