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
