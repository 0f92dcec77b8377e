import Foundation

/// A `simile train` run directory, held for writing: its files (config.json, checkpoint.safetensors,
/// backbone.safetensors, metrics.csv, metrics.svg) and `run.lock`, on which the holder keeps an exclusive `flock`
/// until it exits, so that a second run on the same directory (fresh or `--resume`) is one error instead of two
/// processes rewriting the same files. The kernel releases the lock when the holder dies, even by SIGKILL.
public final class RunDirectory {
    public let path: String
    /// The directory this run made (`path` or the first of its missing ancestors), removed by `removeCreated`; nil
    /// when `path` already existed.
    private let created: String?
    private let lock: Int32

    /// The files a run writes, which `removeCreated` takes away from a directory the run did not make.
    static let runFiles = ["config.json", "checkpoint.safetensors", "backbone.safetensors", "metrics.csv",
                           "metrics.svg", "run.lock"]

    /// Checks that `path` can take a new run, before any work: it is not empty, it is a directory or nothing (a
    /// symbolic link is followed; a dangling one is refused), and it holds no run yet.
    public static func checkNew(_ path: String, option: String = "--out") throws {
        guard !path.isEmpty else { throw SimileError.invalidArgument("\(option) is empty; give a directory for the run") }
        var info = stat()
        if lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK, stat(path, &info) != 0 {
            throw SimileError.invalidArgument("\(option) \(path) is a symbolic link to nothing; give a directory")
        }
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw SimileError.invalidArgument("\(option) \(path) is \(fileKind(info.st_mode)), not a directory")
            }
            try requireNoRun(path, option: option)
        }
    }

    /// Refuses a `path` that holds a run's configuration or checkpoint, naming the command that continues it.
    private static func requireNoRun(_ path: String, option: String) throws {
        let holdsRun = ["config.json", "checkpoint.safetensors"].contains {
            FileManager.default.fileExists(atPath: path + "/" + $0)
        }
        if holdsRun {
            throw SimileError.invalidArgument("\(option) \(path) already holds a run; continue it with "
                                              + "`simile train --resume \(path)`, or choose another directory")
        }
    }

    /// Makes `path` (and its missing ancestors) for a new run, and holds it.
    public convenience init(creating path: String) throws {
        try Self.checkNew(path)
        var top: String?
        var ancestor = URL(fileURLWithPath: path).standardizedFileURL
        while !FileManager.default.fileExists(atPath: ancestor.path) {
            top = ancestor.path
            ancestor.deleteLastPathComponent()
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw systemError(path, "cannot create the run directory")
        }
        try self.init(path, created: top)
        // Another run may have started here between the check and the lock.
        try Self.requireNoRun(path, option: "--out")
    }

    /// Holds the existing run directory `path`, to continue its run.
    public convenience init(resuming path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { throw systemError(path, "cannot open the run directory") }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw SimileError.invalidArgument("--resume \(path) is \(fileKind(info.st_mode)), not a run directory")
        }
        try self.init(path, created: nil)
    }

    private init(_ path: String, created: String?) throws {
        self.path = path
        self.created = created
        let lockPath = path + "/run.lock"
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)
        guard descriptor >= 0 else { throw systemError(lockPath, "cannot open the run's lock file") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: lockPath, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            close(descriptor)
            throw SimileError.invalidArgument("\(path) is in use by another simile train"
                                              + (holder.map { $0.isEmpty ? "" : " (process \($0))" } ?? "")
                                              + "; wait for it to end, or stop it first")
        }
        let pid = Array("\(getpid())\n".utf8)
        if ftruncate(descriptor, 0) == 0 { _ = pid.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } }
        lock = descriptor
    }

    deinit { close(lock) }

    /// Takes away what this run made: the directory it created, or else its files in the directory it was given.
    /// For a run that failed before it kept anything worth resuming.
    public func removeCreated() {
        if let created {
            try? FileManager.default.removeItem(atPath: created)
        } else {
            for name in Self.runFiles { unlink(path + "/" + name) }
        }
    }
}
