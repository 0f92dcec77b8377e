import Foundation
import Testing
@testable import Simile

@Suite struct OutputPathTests {
    @Test("an output path that cannot be written is one error before any work")
    func badPaths() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("simile-output-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try checkOutputPath("\(directory)/new.npy")
        try Data().write(to: URL(fileURLWithPath: "\(directory)/old.npy"))
        try checkOutputPath("\(directory)/old.npy")
        expectError(.invalidArgument("the output path is empty")) { try checkOutputPath("") }
        expectError(.invalidArgument("\(directory)/missing/x.json: the directory '\(directory)/missing' does not exist")) {
            try checkOutputPath("\(directory)/missing/x.json")
        }
        expectError(.invalidArgument("\(directory): exists and is not a regular file")) { try checkOutputPath(directory) }
    }

    @Test("hyper-parameters must be positive and finite")
    func positive() throws {
        try requirePositive(0.5, name: "--temperature")
        for bad: Float in [0, -1, .infinity, .nan] {
            expectError(.invalidArgument("--temperature must be a positive number, got \(bad)")) {
                try requirePositive(bad, name: "--temperature")
            }
        }
    }
}
