import Foundation
import Simile
import Testing

/// `simile train` as a user runs it: the run directory, a run killed with SIGKILL and resumed, `eval` and `embed`
/// on its checkpoint, and bad input.
@Suite(.serialized) struct TrainCommandTests {
    static let small = ["--train-subset", "256", "--batch-size", "64", "--head", "16,8", "--epochs", "3",
                        "--checkpoint-every", "1", "--eval-every", "3", "--device", "cpu"]

    @Test("a run killed with SIGKILL, or stopped by SIGTERM, after its first checkpoint, then resumed, ends with the uninterrupted run's weights and metrics")
    func killAndResume() throws {
        let directory = try scratchDirectory("simile-train")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let whole = try run("simile", ["train", "--out", directory + "/whole"] + Self.small)
        #expect(whole.status == 0, "\(whole)")
        let plot = try String(contentsOfFile: directory + "/whole/metrics.svg", encoding: .utf8)
        #expect(plot.hasPrefix("<svg") && plot.contains("polyline"))

        let expected = try Data(contentsOf: URL(fileURLWithPath: directory + "/whole/backbone.safetensors"))
        let expectedMetrics = try Self.metricsWithoutTime(directory + "/whole")
        for (name, signal) in [("killed", SIGKILL), ("stopped", SIGTERM)] {
            let log = directory + "/\(name).log"
            let process = try startTrain(["--out", directory + "/" + name] + Self.small, log: log)
            let checkpoint = directory + "/\(name)/checkpoint.safetensors"
            // The first epoch's checkpoint: the one of step 0 is there from the start.
            try waitFor { (try? String(contentsOfFile: directory + "/\(name)/metrics.csv", encoding: .utf8)) != nil }
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            #expect(FileManager.default.fileExists(atPath: checkpoint))
            let resumed = try run("simile", ["train", "--resume", directory + "/" + name, "--device", "cpu"])
            #expect(resumed.status == 0 && resumed.stdout.contains("resuming"), "\(resumed)")
            if signal == SIGTERM {
                #expect(process.terminationStatus == 128 + SIGTERM)
                // The stop and the resumption name the same point the same way.
                let stopLine = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").last ?? ""
                let position = stopLine.firstRange(of: "after step").map { stopLine[$0.lowerBound...] }?
                    .split(separator: ";").first
                #expect(stopLine.hasPrefix("stopped by signal 15 after step"), "\(stopLine)")
                #expect(position.map { resumed.stdout.contains("resuming \(directory)/\(name) \($0)\n") } == true,
                        "\(stopLine)\n\(resumed)")
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/\(name)/backbone.safetensors")) == expected,
                    "\(name)")
            #expect(try Self.metricsWithoutTime(directory + "/" + name) == expectedMetrics, "\(name)")
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

    /// metrics.csv's rows without the columns that measure time (img_per_s, seconds).
    static func metricsWithoutTime(_ run: String) throws -> [[Substring]] {
        try String(contentsOfFile: run + "/metrics.csv", encoding: .utf8).split(separator: "\n").map {
            let cells = $0.split(separator: ",", omittingEmptySubsequences: false)
            return Array(cells[..<4] + cells[5..<7])
        }
    }

    @Test("bad input is one clear line, and an existing run is never overwritten")
    func errors() throws {
        let directory = try scratchDirectory("simile-train")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("{}".utf8).write(to: URL(fileURLWithPath: directory + "/config.json"))
        expectFailure(try run("simile", ["train", "--out", directory]), status: 64,
                      "--out \(directory) already holds a run; continue it with `simile train --resume \(directory)`, "
                      + "or choose another directory")
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
                      "\(directory)/none: cannot open the run directory: No such file or directory")
        expectFailure(try run("simile", ["train", "--out", directory + "/d", "--method", "bogus"]), status: 64,
                      "--method must be one of simclr, dcl, dclw, moco, byol, simsiam, nnclr, instdisc, swav, pirl, yadim, got 'bogus'")
        expectFailure(try run("simile", ["train", "--out", directory + "/e", "--model", "vit"]), status: 64,
                      "The value 'vit' is invalid for '--model <model>'. Please provide one of 'resnet18', "
                      + "'resnet18-imagenet' or 'resnet-small'.")
        expectFailure(try run("simile", ["train", "--out", directory + "/f", "--optimizer", "lamb"]), status: 64,
                      "The value 'lamb' is invalid for '--optimizer <optimizer>'. Please provide one of 'sgd', 'lars' or 'adamw'.")
        expectFailure(try run("simile", ["train", "--out", directory + "/g", "--conv-algorithm", "fft"]), status: 64,
                      "The value 'fft' is invalid for '--conv-algorithm <conv-algorithm>'. Please provide one of 'auto', "
                      + "'direct' or 'winograd'.")
        #expect(!FileManager.default.fileExists(atPath: directory + "/a")
                && !FileManager.default.fileExists(atPath: directory + "/c")
                && !FileManager.default.fileExists(atPath: directory + "/g"))
    }

    @Test("augmentation flags tune the preset, stay in the run's configuration for --resume, and a bad one is one error")
    func augmentationFlags() throws {
        let directory = try scratchDirectory("simile-train")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tuned = try run("simile", ["train", "--out", directory + "/run", "--epochs", "1", "--train-subset", "64",
                                       "--batch-size", "32", "--head", "16,8", "--device", "cpu",
                                       "--flip", "0.25", "--jitter", "none", "--size", "6"])
        #expect(tuned.status == 0, "\(tuned)")
        let line = "augmentation (digits, tuned): 6×6: crop scale 0.5–1 ratio 0.75–1.33333, flip 0.25, no jitter"
        #expect(tuned.stdout.contains(line), "\(tuned)")
        let config = try TrainingConfiguration(json: String(contentsOfFile: directory + "/run/config.json", encoding: .utf8))
        #expect(config.augmentation == AugmentationTuning(size: 6, flip: 0.25, jitter: "none"))
        let resumed = try run("simile", ["train", "--resume", directory + "/run", "--device", "cpu"])
        #expect(resumed.status == 0 && resumed.stdout.contains(line), "\(resumed)")
        expectFailure(try run("simile", ["train", "--resume", directory + "/run", "--flip", "0"]), status: 64,
                      "--resume continues a run with its own configuration; give no other training flags")
        expectFailure(try run("simile", ["train", "--out", directory + "/bad", "--jitter", "1,2"]), status: 64,
                      "--jitter takes 5 comma-separated numbers, got '1,2'")
        #expect(!FileManager.default.fileExists(atPath: directory + "/bad"))
    }

    @Test("a missing or corrupt dataset is one clear error, and no run directory is made")
    func badDatasets() throws {
        let directory = try scratchDirectory("simile-train")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        expectFailure(try run("simile", ["train", "--out", directory + "/a", "--data", "fashion-mnist:/nonexistent"]),
                      status: 1, "/nonexistent: found neither train-images-idx3-ubyte nor train-images-idx3-ubyte.gz")
        try FileManager.default.createDirectory(atPath: directory + "/cifar", withIntermediateDirectories: false)
        for name in ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"] {
            try Data(repeating: 1, count: 3073 * 2 + 100).write(to: URL(fileURLWithPath: "\(directory)/cifar/\(name).bin"))
        }
        expectFailure(try run("simile", ["train", "--out", directory + "/b", "--data", "cifar10:\(directory)/cifar"]),
                      status: 1, "\(directory)/cifar/data_batch_1.bin: 6246 bytes is not a whole number of 3073-byte CIFAR-10 "
                      + "records (2 and 100 bytes over)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/a")
                && !FileManager.default.fileExists(atPath: directory + "/b"))
    }

    @Test("a truncated, corrupt or foreign checkpoint is refused by --resume with one line, and left as it was")
    func badCheckpoints() throws {
        let directory = try scratchDirectory("simile-train")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let base = try run("simile", ["train", "--out", directory + "/base", "--epochs", "0", "--train-subset", "64",
                                      "--batch-size", "32", "--head", "16,8", "--device", "cpu"])
        #expect(base.status == 0, "\(base)")
        let original = try Data(contentsOf: URL(fileURLWithPath: directory + "/base/checkpoint.safetensors"))
        let (tensors, metadata) = try Safetensors.read(directory + "/base/checkpoint.safetensors")

        func headerLength(_ file: Data) -> Int { file.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) } }
        func resume(_ name: String, _ checkpoint: Data, _ message: String) throws {
            let runDirectory = directory + "/" + name
            try FileManager.default.copyItem(atPath: directory + "/base", toPath: runDirectory)
            try checkpoint.write(to: URL(fileURLWithPath: runDirectory + "/checkpoint.safetensors"))
            expectFailure(try run("simile", ["train", "--resume", runDirectory, "--device", "cpu"]), status: 1, message)
            #expect(try Data(contentsOf: URL(fileURLWithPath: runDirectory + "/checkpoint.safetensors")) == checkpoint, "\(name)")
        }
        try resume("truncated", original.prefix(original.count / 2), "\(directory)/truncated/checkpoint.safetensors: the data is "
                   + "truncated: the header declares \(original.count - 8 - headerLength(original)) bytes, found "
                   + "\(original.count / 2 - 8 - headerLength(original))")
        var corrupt = original
        corrupt[8] = UInt8(ascii: "x")
        try resume("corrupt", corrupt, "\(directory)/corrupt/checkpoint.safetensors: the header is not valid JSON: "
                   + "expected a JSON value at byte 0")
        // Values no run writes: every command that reads a checkpoint refuses them before use.
        for (name, entry, index, value, reason) in [
            ("nan", "encoder.conv1.weight", 3, Float.nan, "[0, 0, 1, 0] is nan; a run's weights and state are finite "
                + "(this run diverged before it was saved, or the file was changed)"),
            ("variance", "encoder.bn1.running_var", 2, -1, "[2] is -1.0; a running variance is never negative (the "
                + "file was changed)"),
        ] as [(String, String, Int, Float, String)] {
            let changed = tensors.map { tensor -> SafetensorsTensor in
                guard tensor.name == entry, case var .float32(values) = tensor.data else { return tensor }
                values[index] = value
                return SafetensorsTensor(name: tensor.name, shape: tensor.shape, data: .float32(values))
            }
            let path = directory + "/\(name).safetensors"
            try Safetensors.write(changed, metadata: metadata, to: path)
            let message = "the checkpoint's \(entry)\(reason)"
            try resume(name, try Data(contentsOf: URL(fileURLWithPath: path)), message)
            expectFailure(try run("simile", ["embed", "--checkpoint", path, "--data", "digits", "--device", "cpu",
                                             "--out", directory + "/features.npy"]), status: 1, message)
            expectFailure(try run("simile", ["eval", "knn", "--checkpoint", path, "--device", "cpu"]), status: 1, message)
            #expect(!FileManager.default.fileExists(atPath: directory + "/features.npy"))
        }
        var foreign = metadata
        var configuration = try TrainingConfiguration(json: metadata["configuration"]!)
        configuration.head = [32, 8]
        foreign["configuration"] = try configuration.json()
        let path = directory + "/foreign.safetensors"
        try Safetensors.write(tensors, metadata: foreign, to: path)
        try resume("foreign", try Data(contentsOf: URL(fileURLWithPath: path)), "load: the state does not fit this run's "
                   + "resnet-small + head 32,8 (head.*): 0.weight: shape [16, 128] in the state, [32, 128] in the model; "
                   + "1.weight: shape [16] in the state, [32] in the model; 1.bias: shape [16] in the state, [32] in the "
                   + "model; 1.running_mean: shape [16] in the state, [32] in the model; 1.running_var: shape [16] in "
                   + "the state, [32] in the model; 2.weight: shape [8, 16] in the state, [8, 32] in the model")
    }
}
