import Foundation

/// An error for a failed system call, with the reason errno gives.
func systemError(_ path: String, _ action: String) -> SimileError {
    .invalidArgument("\(path): \(action): \(String(cString: strerror(errno)))")
}

/// Opens `path` for reading without ever waiting in open(2): a FIFO with no writer would block there forever, so
/// the file is opened non-blocking, then set back to blocking reads (a FIFO nobody writes to then reads as empty,
/// which the readers report; one that is written streams, as pipes do). The caller closes the descriptor.
func openForReading(_ path: String) throws -> Int32 {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard descriptor >= 0 else { throw systemError(path, "cannot open the file") }
    let flags = fcntl(descriptor, F_GETFL)
    guard flags >= 0, fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) == 0 else {
        let error = systemError(path, "cannot read the file")
        close(descriptor)
        throw error
    }
    return descriptor
}

/// What kind of file `mode` describes, for errors: "a directory", "a FIFO (named pipe)".
func fileKind(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFREG: return "a regular file"
    case S_IFDIR: return "a directory"
    case S_IFCHR: return "a character device"
    case S_IFBLK: return "a block device"
    case S_IFIFO: return "a FIFO (named pipe)"
    case S_IFSOCK: return "a socket"
    default: return "a file that is not a regular file"
    }
}
