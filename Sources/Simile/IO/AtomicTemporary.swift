import Foundation

/// The temporary files `writeFileAtomically` writes beside a target named NAME are `.NAME.simile-PID-RANDOM.tmp`:
/// hidden, and recognisable as ours and as the temporary of that one target, with the writer's process id.
/// A writer killed midway (SIGKILL, SIGXFSZ on a full quota) leaves its temporary behind; the next write to
/// the same target removes those whose process no longer exists on this machine. A temporary whose process
/// is alive is never touched, even if that process id has since been reused, so a write in progress in
/// another process or thread is safe; the price is that such a leftover waits for a later write. (A
/// directory shared between machines or PID namespaces can hold temporaries whose writer is alive but
/// invisible here; those would be removed, and that writer's rename would then fail with an error.)
enum AtomicTemporary {
    /// A fresh temporary path beside `target`.
    static func path(for target: OutputTarget) -> String {
        target.prefix + marker(for: target) + "\(getpid())-\(String(UInt64.random(in: .min ... .max), radix: 16)).tmp"
    }

    /// Removes the temporaries of `target` left by processes that no longer exist. Best effort: a directory
    /// that cannot be listed or a file that cannot be removed is left as it is.
    static func removeStale(for target: OutputTarget) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: target.directory) else { return }
        let marker = marker(for: target)
        for entry in entries where entry.hasPrefix(marker) && entry.hasSuffix(".tmp") {
            guard let pid = Int32(entry.dropFirst(marker.count).prefix(while: { $0 != "-" })), pid > 0 else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink(target.prefix + entry) }
        }
    }

    /// The start of every temporary name for `target`, up to the process id.
    private static func marker(for target: OutputTarget) -> String { ".\(target.name).simile-" }
}
