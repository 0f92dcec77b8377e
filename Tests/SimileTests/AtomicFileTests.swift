import Foundation
import Testing
@testable import Simile

@Suite struct AtomicFileTests {
    @Test("a symbolic link is written through: its target is replaced and the link survives")
    func symbolicLinks() throws {
        let scratch = try Scratch()
        try FileManager.default.createDirectory(atPath: scratch.path("elsewhere"), withIntermediateDirectories: false)
        _ = try scratch.put([1], "elsewhere/real")
        try FileManager.default.createSymbolicLink(atPath: scratch.path("link"), withDestinationPath: "elsewhere/real")
        try FileManager.default.createSymbolicLink(atPath: scratch.path("chain"), withDestinationPath: "link")
        try writeFileAtomically([2, 3], to: scratch.path("chain"))
        #expect(try scratch.bytes("elsewhere/real") == [2, 3])
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: scratch.path("link")) == "elsewhere/real")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: scratch.path("chain")) == "link")
        #expect(try scratch.files() == ["chain", "elsewhere", "link"], "a temporary was left beside the link")
        #expect(try scratch.files("elsewhere") == ["real"], "a temporary was left beside the target")

        // A dangling link: the file it names is created.
        let dangling = scratch.path("dangling")
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: "elsewhere/new")
        try writeFileAtomically([4], to: scratch.path("dangling"))
        #expect(try scratch.bytes("elsewhere/new") == [4])
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: scratch.path("dangling")) == "elsewhere/new")
    }

    @Test("a device, a directory or a FIFO is refused and left as it was")
    func notRegularFiles() throws {
        let scratch = try Scratch()
        expectError(.invalidArgument("/dev/null: cannot write over a character device; expected a regular file or a "
                                     + "new path")) { try writeFileAtomically([1], to: "/dev/null") }
        var info = stat()
        #expect(stat("/dev/null", &info) == 0 && (info.st_mode & S_IFMT) == S_IFCHR, "/dev/null is no longer a device")

        let directory = scratch.path("directory")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        expectError(.invalidArgument("\(directory): cannot write over a directory; expected a regular file or a new "
                                     + "path")) { try writeFileAtomically([1], to: directory) }
        let link = scratch.path("link")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "directory")
        expectError(.invalidArgument("\(link) (a link to \(scratch.directory)/directory): cannot write over a "
                                     + "directory; expected a regular file or a new path")) {
            try writeFileAtomically([1], to: link)
        }
        let fifo = scratch.path("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        expectError(.invalidArgument("\(fifo): cannot write over a FIFO (named pipe); expected a regular file or a new "
                                     + "path")) { try writeFileAtomically([1], to: fifo) }
        #expect(try scratch.files() == ["directory", "fifo", "link"])
        #expect(try scratch.files("directory") == [])
    }

    @Test("an existing file keeps its permission bits; a new file gets 0666 less the umask")
    func permissions() throws {
        let scratch = try Scratch()
        let path = try scratch.put([1], "secret")
        #expect(chmod(path, 0o600) == 0)
        try writeFileAtomically([2], to: path)
        #expect(try scratch.mode("secret") == 0o600)
        #expect(try scratch.bytes("secret") == [2])

        try writeFileAtomically([3], to: scratch.path("new"))
        #expect(try scratch.mode("new") == 0o666 & ~Self.umask())
    }

    @Test("an empty path is one clear error")
    func emptyPath() {
        expectError(.invalidArgument("output path is empty")) { try writeFileAtomically([1], to: "") }
        expectError(.invalidArgument("output path is empty")) { try checkOutputPath("") }
    }

    @Test("a temporary of a writer that died is removed by the next write; live writers' and others' are kept")
    func staleTemporaries() throws {
        let scratch = try Scratch()
        // Linux process ids stay below 2^22, so no process has this one.
        let dead = try scratch.put([9], ".a.npy.simile-99999999-1f.tmp")
        let live = try scratch.put([9], ".a.npy.simile-\(getpid())-2f.tmp")
        let otherTarget = try scratch.put([9], ".b.npy.simile-99999999-3f.tmp")
        let notOurs = try scratch.put([9], ".a.npy.other-99999999-4f.tmp")
        try writeFileAtomically([1], to: scratch.path("a.npy"))
        let names = [live, otherTarget, notOurs].map { String($0.dropFirst(scratch.directory.count + 1)) }
        #expect(try scratch.files() == (["a.npy"] + names).sorted())
        #expect(!FileManager.default.fileExists(atPath: dead))
    }

    @Test("checkOutputPath accepts a new path, a regular file and links to them, and refuses everything else")
    func checksOutputPaths() throws {
        let scratch = try Scratch()
        let file = try scratch.put([1], "file")
        try FileManager.default.createSymbolicLink(atPath: scratch.path("link"), withDestinationPath: "file")
        try FileManager.default.createSymbolicLink(atPath: scratch.path("dangling"), withDestinationPath: "new")
        for path in [file, scratch.path("new"), scratch.path("link"), scratch.path("dangling")] {
            #expect(throws: Never.self, "\(path)") { try checkOutputPath(path) }
        }
        #expect(try scratch.files() == ["dangling", "file", "link"], "checking created a file")
        #expect(try scratch.bytes("file") == [1])

        let missing = scratch.path("missing/out.npy")
        expectError(.invalidArgument("\(missing): cannot use the directory \(scratch.directory)/missing: "
                                     + "No such file or directory")) { try checkOutputPath(missing) }
        let underFile = scratch.path("file/out.npy")
        expectError(.invalidArgument("\(underFile): \(file) is not a directory")) { try checkOutputPath(underFile) }
        expectError(.invalidArgument("/dev/null: cannot write over a character device; expected a regular file or a "
                                     + "new path")) { try checkOutputPath("/dev/null") }
        expectError(.invalidArgument("\(scratch.directory): cannot write over a directory; expected a regular file or "
                                     + "a new path")) { try checkOutputPath(scratch.directory) }
        if geteuid() != 0 {
            let locked = scratch.path("locked")
            try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: false)
            #expect(chmod(locked, 0o500) == 0)
            defer { chmod(locked, 0o700) }
            expectError(.invalidArgument("\(locked)/out.npy: cannot write in the directory \(locked): "
                                         + "Permission denied")) { try checkOutputPath("\(locked)/out.npy") }
        }
    }

    /// The process's umask, read without changing it (umask(2) can only read it by setting it, which would race
    /// with tests creating files in parallel).
    static func umask() throws -> mode_t {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Umask:") })
        return try #require(mode_t(line.dropFirst("Umask:".count).trimmingCharacters(in: .whitespaces), radix: 8))
    }
}

private extension Scratch {
    func files(_ subdirectory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path(subdirectory)).sorted()
    }

    func mode(_ name: String) throws -> mode_t {
        var info = stat()
        try #require(stat(path(name), &info) == 0)
        return info.st_mode & 0o777
    }
}
