import Foundation
import Testing

/// `simile train` as a user runs it: the run directory, a run killed with SIGKILL and resumed, `eval` and `embed`
/// on its checkpoint, and bad input.
@Suite(.serialized) struct TrainCommandTests {
    static let small = ["--train-subset", "256", "--batch-size", "64", "--head", "16,8", "--epochs", "3",
                        "--checkpoint-every", "1", "--eval-every", "3", "--device", "cpu"]

    private func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("simile-train-\(UUID())").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("a run killed with SIGKILL, or stopped by SIGTERM, after its first checkpoint, then resumed, ends with the uninterrupted run's weights")
    func killAndResume() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let whole = try run("simile", ["train", "--out", directory + "/whole"] + Self.small)
        #expect(whole.status == 0, "\(whole)")
        let plot = try String(contentsOfFile: directory + "/whole/metrics.svg", encoding: .utf8)
        #expect(plot.hasPrefix("<svg") && plot.contains("polyline"))

        let expected = try Data(contentsOf: URL(fileURLWithPath: directory + "/whole/backbone.safetensors"))
        for (name, signal) in [("killed", SIGKILL), ("stopped", SIGTERM)] {
            let process = Process()
            process.executableURL = productsDirectory.appendingPathComponent("simile")
            process.arguments = ["train", "--out", directory + "/" + name] + Self.small
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let checkpoint = directory + "/\(name)/checkpoint.safetensors"
            let deadline = Date().addingTimeInterval(300)
            while !FileManager.default.fileExists(atPath: checkpoint), process.isRunning, Date() < deadline {
                Thread.sleep(forTimeInterval: 0.02)
            }
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            #expect(FileManager.default.fileExists(atPath: checkpoint))
            if signal == SIGTERM { #expect(process.terminationStatus == 128 + SIGTERM) }
            let resumed = try run("simile", ["train", "--resume", directory + "/" + name, "--device", "cpu"])
            #expect(resumed.status == 0 && resumed.stdout.contains("resuming"), "\(resumed)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/\(name)/backbone.safetensors")) == expected,
                    "\(name)")
        }
        let checkpoint = directory + "/killed/checkpoint.safetensors"
        let metrics = try String(contentsOfFile: directory + "/killed/metrics.csv", encoding: .utf8)
        #expect(metrics.split(separator: "\n").count == 4, "\(metrics)")

        // eval's reference set is the whole train split, the monitor's the run's subset: the figures differ.
        let knn = try run("simile", ["eval", "knn", "--checkpoint", checkpoint, "--device", "cpu"])
        #expect(knn.status == 0 && knn.stdout.hasPrefix("knn on digits (test): top-1 0."), "\(knn)")
        let embed = try run("simile", ["embed", "--checkpoint", checkpoint, "--data", "digits", "--device", "cpu",
                                       "--out", directory + "/features.npy", "--labels-out", directory + "/labels.npy"])
        #expect(embed.status == 0, "\(embed)")
        let header = try Data(contentsOf: URL(fileURLWithPath: directory + "/features.npy")).prefix(128)
        #expect(String(decoding: header, as: UTF8.self).contains("'shape': (297, 128)"))
        expectFailure(try run("simile", ["eval", "knn", "--checkpoint", directory + "/whole/backbone.safetensors"]),
                      status: 1, "\(directory)/whole/backbone.safetensors is not a simile train checkpoint "
                      + "(checkpoint.safetensors of a run)")
    }

    @Test("bad input is one clear line, and an existing run is never overwritten")
    func errors() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("{}".utf8).write(to: URL(fileURLWithPath: directory + "/config.json"))
        expectFailure(try run("simile", ["train", "--out", directory]), status: 64,
                      "--out \(directory) already holds a run; choose another directory")
        #expect(try String(contentsOfFile: directory + "/config.json", encoding: .utf8) == "{}")
        expectFailure(try run("simile", ["train", "--out", directory + "/a", "--batch-size", "1"]), status: 64,
                      "--batch-size must be ≥ 2 (each image needs another as a negative), got 1")
        expectFailure(try run("simile", ["train", "--out", directory + "/b", "--temperature", "0"]), status: 64,
                      "--temperature must be a finite number ≥ 1e-30 (smaller values overflow float32 logits), got 0.0")
        expectFailure(try run("simile", ["train", "--out", directory + "/c", "--batch-size", "5000"]), status: 1,
                      "--batch-size 5000 is larger than the 1500 training images")
        expectFailure(try run("simile", ["train", "--resume", directory, "--epochs", "3"]), status: 64,
                      "--resume continues a run with its own configuration; give no other training flags")
        expectFailure(try run("simile", ["train", "--resume", directory + "/none"]), status: 1,
                      "\(directory)/none/checkpoint.safetensors: cannot open the file: No such file or directory")
    }
}
