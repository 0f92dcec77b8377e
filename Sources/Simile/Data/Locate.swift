import Foundation

/// The first of `paths` that exists, or nil.
func firstExisting(_ paths: [String]) -> String? {
    paths.first { FileManager.default.fileExists(atPath: $0) }
}

/// The folder that holds `file`: `directory` itself, or its sub-folder `subfolder` (where an archive unpacks).
/// When neither holds it, an error says what was looked for as `what`.
func locate(_ file: String, in directory: String, orIn subfolder: String, what: String) throws -> String {
    guard let path = firstExisting(["\(directory)/\(file)", "\(directory)/\(subfolder)/\(file)"]) else {
        throw SimileError.invalidArgument("\(directory): found neither \(file) nor \(subfolder)/\(file); "
                                          + "expected \(what)")
    }
    return String(path.dropLast(file.count + 1))
}
