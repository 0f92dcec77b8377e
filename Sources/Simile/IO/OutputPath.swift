import Foundation

/// Checks, before any work starts, that a file can be written at `path`: the path is not empty, its
/// directory exists and is writable, and nothing but a regular file is there already. Commands call it
/// up front so that a long run never ends in an error about where its result should have gone.
public func checkOutputPath(_ path: String) throws {
    guard !path.isEmpty else { throw SimileError.invalidArgument("the output path is empty") }
    let parent = (path as NSString).deletingLastPathComponent
    let directory = parent.isEmpty ? "." : parent
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw SimileError.invalidArgument("\(path): the directory '\(directory)' does not exist")
    }
    guard access(directory, W_OK) == 0 else {
        throw SimileError.invalidArgument("\(path): the directory '\(directory)' is not writable")
    }
    var status = stat()
    guard lstat(path, &status) != 0 || (status.st_mode & S_IFMT) == S_IFREG else {
        throw SimileError.invalidArgument("\(path): exists and is not a regular file")
    }
}
