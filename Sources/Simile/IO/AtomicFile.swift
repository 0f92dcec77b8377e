import Foundation

/// Writes `bytes` to a new temporary file next to `path`, flushes it to disk, then renames it onto `path`,
/// so a reader sees the old file or the new one, never half of one (checkpoints, caches, .npy, bench JSON).
/// A failure is one `SimileError` naming the path and the system's reason; the temporary file is removed.
public func writeFileAtomically(_ bytes: [UInt8], to path: String) throws {
    let temporary = "\(path).\(UUID().uuidString).tmp"
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard descriptor >= 0 else { throw systemError(path, "cannot create a temporary file next to it") }
    let written = writeAll(bytes, to: descriptor) && fsync(descriptor) == 0
    let writeError = written ? nil : systemError(path, "cannot write the file")
    close(descriptor)
    if let writeError {
        unlink(temporary)
        throw writeError
    }
    guard rename(temporary, path) == 0 else {
        let renameError = systemError(path, "cannot rename the temporary file onto it")
        unlink(temporary)
        throw renameError
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
