import Foundation
import Testing

/// Every flag of every command, read from the tools' own `--experimental-dump-help`: each says what it does and its
/// default, and each numeric one refuses a negative number with the real reason, before any work.
@Suite struct CommandFlagTests {
    /// An option as ArgumentParser's help dump describes it.
    struct Flag {
        let command: String
        let name: String
        let abstract: String
        let isOptional: Bool
        let defaultValue: String?
    }

    /// Every option (not `--help`) of `tool`'s subcommands, or of the tool itself when it has none.
    static func flags(of tool: String) throws -> [Flag] {
        let dump = try run(tool, ["--experimental-dump-help"])
        guard dump.status == 0, let json = try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any],
              let root = json["command"] as? [String: Any] else { throw CommandRunnerError("no help dump: \(dump)") }
        func walk(_ command: [String: Any], _ path: String) -> [Flag] {
            let own = (command["arguments"] as? [[String: Any]] ?? []).compactMap { argument -> Flag? in
                let names = (argument["names"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                guard argument["kind"] as? String == "option", let name = names.first else { return nil }
                return Flag(command: path, name: "--" + name, abstract: argument["abstract"] as? String ?? "",
                            isOptional: argument["isOptional"] as? Bool ?? false,
                            defaultValue: argument["defaultValue"] as? String)
            }
            let children = (command["subcommands"] as? [[String: Any]] ?? []).filter { $0["commandName"] as? String != "help" }
            return own + children.flatMap { walk($0, path + " " + ($0["commandName"] as? String ?? "?")) }
        }
        return walk(root, tool)
    }

    @Test("every flag says what it does and, unless it is required, its default")
    func everyFlagHasHelp() throws {
        let flags = try Self.flags(of: "simile") + Self.flags(of: "simile-bench")
        #expect(flags.count > 50)
        for flag in flags {
            #expect(!flag.abstract.isEmpty, "\(flag.command) \(flag.name) has no help")
            if flag.isOptional {
                #expect(flag.defaultValue != nil || flag.abstract.lowercased().contains("default"),
                        "\(flag.command) \(flag.name) does not say its default: '\(flag.abstract)'")
            }
        }
    }

    /// Each numeric flag with the arguments that reach its check and the error `-1` must give; every other flag is
    /// listed as not numeric, so that a new flag must be placed in one of the two.
    static let numeric: [String: (arguments: [String], error: String)] = [
        "simile loss --temperature": (["--method", "ntxent", "--input", "x.npy"],
                                      "--temperature must be a finite number ≥ 1e-30 (smaller values overflow float32 logits), got -1.0"),
        "simile loss --sigma": (["--method", "ntxent", "--input", "x.npy"],
                                "--sigma must be a finite number ≥ 1e-30 (smaller values overflow float32 logits), got -1.0"),
        "simile augment --count": (["--data", "digits", "--out", "x.npy"], "--count must be ≥ 1, got -1"),
        "simile augment --seed": (["--data", "digits", "--out", "x.npy"],
                                  "--seed must be a whole number from 0 to 18446744073709551615, got '-1'"),
        "simile augment --size": (["--data", "digits", "--out", "x.npy"], "--size must be ≥ 1 pixel, got -1"),
        "simile augment --flip": (["--data", "digits", "--out", "x.npy"], "--flip must be a probability in [0, 1], got -1.0"),
        "simile augment --grayscale": (["--data", "digits", "--out", "x.npy"],
                                       "--grayscale must be a probability in [0, 1], got -1.0"),
        "simile augment --solarize": (["--data", "digits", "--out", "x.npy"],
                                      "--solarize must be a probability in [0, 1], got -1.0"),
        "simile train --solarize": ([], "--solarize must be a probability in [0, 1], got -1.0"),
        "simile train --temperature": ([], "--temperature must be a finite number ≥ 1e-30 (smaller values overflow float32 logits), got -1.0"),
        "simile train --sigma": (["--method", "dclw"],
                                 "--sigma must be a finite number ≥ 1e-30 (smaller values overflow float32 logits), got -1.0"),
        "simile train --ema-momentum": (["--method", "moco"], "--ema-momentum must be in [0, 1], got -1.0"),
        "simile train --ema-momentum-end": (["--method", "moco"],
                                            "--ema-momentum-end must be in [--ema-momentum, 1] = [0.99, 1], got -1.0"),
        "simile train --queue-size": (["--method", "moco"], "--queue-size must be ≥ 1, got -1"),
        "simile train --prototypes": (["--method", "swav"], "--prototypes must be ≥ 1, got -1"),
        "simile train --margin": (["--loss", "triplet"], "--margin must be finite and ≥ 0, got -1.0"),
        "simile train --negatives": (["--method", "instdisc", "--loss", "nce"], "--negatives must be in 1...65536, got -1"),
        "simile train --bucket-mb": (["--distributed"], "--bucket-mb must be a positive number of MB up to 1048576, got -1.0"),
        "simile train --rank-timeout": (["--distributed"], "--rank-timeout must be a positive number of seconds, got -1.0"),
        "simile train --lr": ([], "--lr must be ≥ 0 and finite, got -1.0"),
        "simile train --momentum": ([], "--momentum must be in [0, 1), got -1.0"),
        "simile train --weight-decay": ([], "--weight-decay must be ≥ 0 and finite, got -1.0"),
        "simile train --warmup-epochs": ([], "--warmup-epochs must be in 0...60 (the epochs), got -1"),
        "simile train --epochs": ([], "--epochs must be ≥ 0, got -1"),
        "simile train --batch-size": ([], "--batch-size must be ≥ 2 (each image needs another as a negative), got -1"),
        "simile train --seed": ([], "--seed must be a whole number from 0 to 18446744073709551615, got '-1'"),
        "simile train --train-subset": ([], "--train-subset must be ≥ 1, got -1"),
        "simile train --eval-every": ([], "--eval-every and --checkpoint-every must be ≥ 1, got -1 and 10"),
        "simile train --checkpoint-every": ([], "--eval-every and --checkpoint-every must be ≥ 1, got 20 and -1"),
        "simile train --size": ([], "--size must be ≥ 1 pixel, got -1"),
        "simile train --flip": ([], "--flip must be a probability in [0, 1], got -1.0"),
        "simile train --grayscale": ([], "--grayscale must be a probability in [0, 1], got -1.0"),
        "simile eval --k": (["knn", "--checkpoint", "/nonexistent"], "--k must be ≥ 1, got -1"),
        "simile eval --knn-temperature": (["knn", "--checkpoint", "/nonexistent"],
                                          "--knn-temperature must be > 0 and finite, got -1.0"),
        "simile-bench --size": ([], "--size takes positive integers separated by commas, got '-1'"),
        "simile-bench --repeat": ([], "--repeat must be at least 1, got -1"),
        "simile train --trace-steps": (["--trace", "trace.json"],
                                       "--trace-steps takes A:B, step numbers from 1 with A ≤ B (such as 2:3), got '-1'"),
        "simile tune --batch": ([], "--batch must be at least 1, got -1"),
        "simile tune --image-size": ([], "--image-size must be at least 8 for resnet18, got -1"),
        "simile tune --repeat": ([], "--repeat must be at least 1, got -1"),
    ]

    static let notNumeric: Set<String> = [
        "simile check --device", "simile loss --method", "simile loss --input", "simile loss --grad-out",
        "simile loss --device", "simile augment --data", "simile augment --split", "simile augment --preset",
        "simile augment --crop-scale", "simile augment --crop-ratio", "simile augment --jitter", "simile augment --blur", "simile augment --jigsaw",
        "simile augment --device", "simile augment --out", "simile augment --labels-out", "simile augment --params-out",
        "simile augment --preview", "simile train --data", "simile train --model", "simile train --head", "simile train --predictor",
        "simile train --method", "simile train --optimizer", "simile train --lr-scaling", "simile train --preset",
        "simile train --crop-scale", "simile train --crop-ratio", "simile train --jitter", "simile train --blur",
        "simile train --jigsaw", "simile train --loss", "simile train --mining",
        "simile train --multi-crop", "simile train --swav-queue",
        "simile train --out", "simile train --resume", "simile train --conv-algorithm", "simile train --device",
        "simile embed --checkpoint", "simile embed --data", "simile embed --split", "simile embed --out",
        "simile embed --labels-out", "simile embed --device", "simile eval --checkpoint", "simile eval --data",
        "simile eval --device", "simile-bench --kernel", "simile-bench --device", "simile-bench --method", "simile-bench --gemm-variant",
        "simile-bench --json", "simile train --trace", "simile-bench --trace", "simile tune --device", "simile tune --model",
        "simile train --precision", "simile-bench --precision",
    ]

    @Test("every numeric flag of every command takes -1 as a number and refuses it with the real reason (exit 64)")
    func negativeNumbers() throws {
        let flags = try Self.flags(of: "simile") + Self.flags(of: "simile-bench")
        for flag in flags {
            let key = flag.command + " " + flag.name
            guard let (arguments, error) = Self.numeric[key] else {
                #expect(Self.notNumeric.contains(key), "\(key) is in neither table")
                continue
            }
            let words = flag.command.split(separator: " ").map(String.init)
            let result = try run(words[0], Array(words.dropFirst()) + arguments + [flag.name, "-1"])
            expectFailure(result, status: 64, error)
        }
        #expect(Set(flags.map { $0.command + " " + $0.name }) == Set(Self.numeric.keys).union(Self.notNumeric))
    }

    @Test("eval's kNN settings are checked before the checkpoint is read or any feature computed")
    func evalSettingsFirst() throws {
        let knn = ["eval", "knn", "--checkpoint", "/nonexistent"]
        expectFailure(try run("simile", knn + ["--k", "0"]), status: 64, "--k must be ≥ 1, got 0")
        for value in ["0", "nan", "inf"] {
            expectFailure(try run("simile", knn + ["--knn-temperature", value]), status: 64,
                          "--knn-temperature must be > 0 and finite, got \(Double(value)!)")
        }
    }
}
