import Foundation
import Testing

/// What a run of one of the built tools printed, and how it exited.
struct CommandResult: CustomStringConvertible {
    let status: Int32
    let stdout: String
    let stderr: String

    var description: String { "exit \(status)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }

    /// The first line of stderr: where the tools put their one `Error: ...` line.
    var errorLine: Substring { stderr.split(separator: "\n").first ?? "" }
}

/// Runs `tool` (`simile` or `simile-bench`, built by `swift test` next to the test bundle, or a program's absolute
/// path) with `arguments`.
/// `SIMILE_DEVICE` is removed from the inherited environment unless `environment` sets it, so each test says
/// which device settings it means. Output goes through files, so a long listing cannot fill a pipe and block.
func run(_ tool: String, _ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
    let executable = tool.hasPrefix("/") ? URL(fileURLWithPath: tool) : productsDirectory.appendingPathComponent(tool)
    guard FileManager.default.isExecutableFile(atPath: executable.path) else {
        throw CommandRunnerError("\(executable.path) is missing: build every product first (`swift build --build-tests`)")
    }
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("simile-cli-\(UUID())")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let (out, err) = (scratch.appendingPathComponent("out"), scratch.appendingPathComponent("err"))
    try Data().write(to: out)
    try Data().write(to: err)

    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    var inherited = ProcessInfo.processInfo.environment
    inherited["SIMILE_DEVICE"] = nil
    process.environment = inherited.merging(environment) { $1 }
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    try process.run()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus,
                         stdout: try String(contentsOf: out, encoding: .utf8),
                         stderr: try String(contentsOf: err, encoding: .utf8))
}

/// Where SwiftPM put the products: the directory of the test bundle (`.build/<triple>/debug`).
let productsDirectory: URL = {
    #if os(macOS)
    if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
        return bundle.bundleURL.deletingLastPathComponent()
    }
    #endif
    return Bundle.main.bundleURL
}()

struct CommandRunnerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Checks the behaviour every bad input must have: exit `status`, one `Error: <message>` first on stderr,
/// nothing on stdout, and no crash report.
func expectFailure(_ result: CommandResult, status: Int32, _ message: String,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.status == status, "\(result)", sourceLocation: sourceLocation)
    #expect(result.errorLine == "Error: \(message)", "\(result)", sourceLocation: sourceLocation)
    #expect(result.stdout.isEmpty, "\(result)", sourceLocation: sourceLocation)
    #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Backtrac"), "\(result)",
            sourceLocation: sourceLocation)
}

/// Starts `simile train ARGUMENTS` with its standard output going to the file `log`, and returns at once.
func startTrain(_ arguments: [String], log: String) throws -> Process {
    FileManager.default.createFile(atPath: log, contents: nil)
    let process = Process()
    process.executableURL = productsDirectory.appendingPathComponent("simile")
    process.arguments = ["train"] + arguments
    var environment = ProcessInfo.processInfo.environment
    environment["SIMILE_DEVICE"] = nil
    process.environment = environment
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
}

/// Polls `condition` every 20 ms until it holds; an error after `seconds`.
func waitFor(seconds: Double = 300, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while try !condition() {
        guard Date() < deadline else { throw CommandRunnerError("gave up waiting after \(seconds) s") }
        Thread.sleep(forTimeInterval: 0.02)
    }
}

/// A new empty directory under the temporary directory, named `PREFIX-UUID`; the caller removes it.
func scratchDirectory(_ prefix: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID())").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
