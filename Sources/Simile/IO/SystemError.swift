import Foundation

/// An error for a failed system call, with the reason errno gives.
func systemError(_ path: String, _ action: String) -> SimileError {
    .invalidArgument("\(path): \(action): \(String(cString: strerror(errno)))")
}
