import Foundation

/// Writes `bytes` to a new temporary file beside `path`, flushes it to disk, then renames it onto `path`,
/// so a reader sees the old file or the new one, never half of one (checkpoints, caches, .npy, bench JSON).
///
/// - A symbolic link is followed to its final target, which is replaced; the link stays a link.
/// - A file already there keeps its permission bits (600 stays 600); a new file gets 0666 less the umask.
///   Its owner becomes the writer's, as with any replace by rename.
/// - Anything there that is not a regular file (a directory, /dev/null, a FIFO) is refused, untouched.
/// - Temporaries left by killed writers are removed as `AtomicTemporary` describes.
///
/// A failure is one `SimileError` naming the path and the reason; the temporary file is removed.
public func writeFileAtomically(_ bytes: [UInt8], to path: String) throws {
    let target = try OutputTarget(path)
    AtomicTemporary.removeStale(for: target)
    let temporary = AtomicTemporary.path(for: target)
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard descriptor >= 0 else { throw systemError(path, "cannot create a temporary file next to it") }
    var failure: SimileError?
    if let mode = target.existingMode, fchmod(descriptor, mode) != 0 {
        failure = systemError(path, "cannot give the temporary file the mode of the file it replaces")
    } else if !writeAll(bytes, to: descriptor) || fsync(descriptor) != 0 {
        failure = systemError(path, "cannot write the file")
    } else if rename(temporary, target.target) != 0 {
        failure = systemError(path, "cannot rename the temporary file onto it")
    }
    close(descriptor)
    if let failure {
        unlink(temporary)
        throw failure
    }
}

/// Writes all of `bytes`, retrying short writes and interruptions; false (with errno set) on failure.
private func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
    bytes.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let count = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if count < 0 && errno != EINTR { return false }
            offset += max(count, 0)
        }
        return true
    }
}
