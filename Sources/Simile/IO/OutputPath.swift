import Foundation

/// Checks, before any work starts, that `path` can be written by `writeFileAtomically`: it is not empty,
/// it (after following symbolic links) names nothing or a regular file, and its directory exists and is
/// writable. Commands call this first so that a bad `--grad-out` or `--json` fails at once, not after the
/// work it would have saved. Nothing is created. The write itself can still fail (a full disk, a directory
/// changed in between) with its own error.
public func checkOutputPath(_ path: String) throws {
    let target = try OutputTarget(path)
    var info = stat()
    guard stat(target.directory, &info) == 0 else {
        throw systemError(path, "cannot use the directory \(target.directory)")
    }
    guard (info.st_mode & S_IFMT) == S_IFDIR else {
        throw SimileError.invalidArgument("\(path): \(target.directory) is not a directory")
    }
    guard access(target.directory, W_OK | X_OK) == 0 else {
        throw systemError(path, "cannot write in the directory \(target.directory)")
    }
}

/// Refuses two of a command's outputs that land on the same file, however they are spelled (a link, "./", "a/../"):
/// the second write would silently replace the first. Each path must pass `checkOutputPath` first; nil paths are
/// not given.
public func checkDistinctOutputs(_ outputs: [(path: String?, option: String)]) throws {
    var seen: [String: String] = [:]
    for case let (path?, option) in outputs {
        let target = try OutputTarget(path)
        guard let directory = realpath(target.directory, nil) else {
            throw systemError(path, "cannot resolve the directory \(target.directory)")
        }
        let resolved = String(cString: directory) + "/" + target.name
        free(directory)
        if let first = seen[resolved] {
            throw SimileError.invalidArgument("\(first) and \(option) name the same file (\(resolved)); give each "
                                              + "output its own path")
        }
        seen[resolved] = option
    }
}

/// Where a write to a path lands: the path with every symbolic link followed (so that writing replaces the
/// link's target and the link survives), and the permission bits of the regular file already there.
/// Anything there that is not a regular file (a directory, a device such as /dev/null, a FIFO) is an error,
/// since replacing it with a file would destroy it.
struct OutputTarget {
    /// The path as given, for errors.
    let path: String
    /// The path after following symbolic links.
    let target: String
    /// The target's directory with its trailing "/", or "" when it has none, to prefix names beside it.
    let prefix: String
    /// The target's last component.
    let name: String
    /// The permission bits of the regular file at the target, nil when there is none.
    let existingMode: mode_t?

    /// The directory holding the target, as stat(2) and opendir(3) take it.
    var directory: String { prefix.isEmpty ? "." : prefix == "/" ? "/" : String(prefix.dropLast()) }

    init(_ path: String) throws {
        guard !path.isEmpty else { throw SimileError.invalidArgument("output path is empty") }
        self.path = path
        var target = path
        var info = stat()
        var links = 0
        // lstat failing means nothing is there (or the directory is unusable, which creating the file reports).
        while lstat(target, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK {
            links += 1
            // Linux's limit (MAXSYMLINKS), beyond which open(2) gives ELOOP too.
            guard links <= 40 else { throw SimileError.invalidArgument("\(path): too many levels of symbolic links") }
            let link = try readLink(target, for: path)
            target = link.hasPrefix("/") ? link : Self.split(target).prefix + link
        }
        let exists = lstat(target, &info) == 0
        if exists && (info.st_mode & S_IFMT) != S_IFREG {
            let described = target == path ? path : "\(path) (a link to \(target))"
            throw SimileError.invalidArgument("\(described): cannot write over \(fileKind(info.st_mode)); "
                                              + "expected a regular file or a new path")
        }
        self.target = target
        (prefix, name) = Self.split(target)
        existingMode = exists ? info.st_mode & 0o777 : nil
    }

    /// `path` split after its last "/".
    private static func split(_ path: String) -> (prefix: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        return (String(path[...slash]), String(path[path.index(after: slash)...]))
    }
}

/// The contents of the symbolic link `link`; errors name `path`, the path the caller was given.
private func readLink(_ link: String, for path: String) throws -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let count = readlink(link, &buffer, buffer.count - 1)
    guard count >= 0 else { throw systemError(path, "cannot read the symbolic link \(link)") }
    return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
