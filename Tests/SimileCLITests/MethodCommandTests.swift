import Foundation
import Simile
import Testing

/// `simile train --method` for the methods with state of their own (MoCo's key networks and queue, BYOL's target,
/// NNCLR's support queue, InstDisc's and PIRL's banks, SwAV's prototypes), and their flags.
@Suite(.serialized) struct MethodCommandTests {
    static let small = ["--train-subset", "256", "--batch-size", "64", "--epochs", "2", "--checkpoint-every", "1",
                        "--eval-every", "2", "--device", "cpu"]

    /// Each method's own flags for a small run.
    static func flags(_ method: String) -> [String] {
        switch method {
        case "moco": return ["--method", "moco", "--head", "32,16", "--queue-size", "192"]
        case "byol": return ["--method", "byol", "--head", "32,16", "--predictor", "32,16"]
        case "nnclr": return ["--method", "nnclr", "--head", "32,16", "--predictor", "32,16", "--queue-size", "128"]
        case "instdisc": return ["--method", "instdisc", "--head", "16"]
        case "swav": return ["--method", "swav", "--head", "32,16", "--prototypes", "32"]
        case "pirl": return ["--method", "pirl", "--head", "16"]
        case "swav-queue": return flags("swav") + ["--swav-queue", "64,1"]
        case "instdisc-nce": return flags("instdisc") + ["--loss", "nce", "--negatives", "100"]
        case "yadim": return ["--method", "yadim"]
        default: return ["--method", "simsiam", "--head", "32,32,16", "--predictor", "8,16"]
        }
    }

    @Test("a run killed with SIGKILL after its first checkpoint and resumed ends with every tensor of the uninterrupted run: weights, targets, queue and optimiser state",
          arguments: ["moco", "byol", "simsiam", "nnclr", "instdisc", "swav", "pirl", "swav-queue", "instdisc-nce", "yadim"])
    func killAndResume(method: String) throws {
        let directory = try scratchDirectory("simile-method")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let arguments = Self.small + Self.flags(method)
        let whole = try run("simile", ["train", "--out", directory + "/whole"] + arguments)
        #expect(whole.status == 0, "\(whole)")
        let process = try startTrain(["--out", directory + "/killed"] + arguments, log: directory + "/killed.log")
        try waitFor { (try? String(contentsOfFile: directory + "/killed/metrics.csv", encoding: .utf8)) != nil }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let resumed = try run("simile", ["train", "--resume", directory + "/killed", "--device", "cpu"])
        #expect(resumed.status == 0 && resumed.stdout.contains("resuming"), "\(resumed)")
        let expected = try Safetensors.read(directory + "/whole/checkpoint.safetensors").tensors
        let actual = try Safetensors.read(directory + "/killed/checkpoint.safetensors").tensors
        #expect(expected.map(\.name) == actual.map(\.name))
        let stateful = expected.filter { $0.name.hasPrefix("method.") }.map(\.name)
        let expectedState = ["simsiam": 0...0, "swav": 0...0, "yadim": 0...0,
                             "nnclr": 2...2, "instdisc": 1...1, "pirl": 1...1, "swav-queue": 5...5,
                             "instdisc-nce": 2...2]
        #expect(expectedState[method, default: 11...Int.max].contains(stateful.count), "\(stateful)")
        for (a, b) in zip(expected, actual) where a.data != b.data { Issue.record("\(method): \(a.name) differs") }
    }

    @Test("the new flags are refused with one line at bad values, and where their method does not read them")
    func badFlags() throws {
        let cases: [([String], String)] = [
            (["--method", "moco", "--queue-size", "0"], "--queue-size must be ≥ 1, got 0"),
            (["--method", "moco", "--ema-momentum", "nan"], "--ema-momentum must be in [0, 1], got nan"),
            (["--method", "moco", "--ema-momentum", "1.5"], "--ema-momentum must be in [0, 1], got 1.5"),
            (["--method", "byol", "--ema-momentum-end", "0.5"],
             "--ema-momentum-end must be in [--ema-momentum, 1] = [0.99, 1], got 0.5"),
            (["--method", "byol", "--predictor", "0,64"], "--predictor widths must be ≥ 1, got [0, 64]"),
            (["--method", "byol", "--predictor", "a"], "--predictor: 'a' is not widths like 512,128"),
            (["--method", "byol", "--predictor", "32,10"],
             "--predictor must end in the projection's width 64 (--head's last), got [32, 10]"),
            (["--method", "simclr", "--queue-size", "10"], "--queue-size is not a setting of simclr"),
            (["--method", "simsiam", "--temperature", "0.1"], "--temperature is not a setting of simsiam"),
            (["--method", "yadim", "--head", "64"], "--head is not a setting of yadim"),
            (["--method", "byol", "--sigma", "0.1"], "--sigma is not a setting of byol"),
            (["--loss", "foo"], "--loss must be ntxent or triplet, got 'foo'"),
            (["--loss", "triplet", "--temperature", "0.3"], "--temperature is not read by --loss triplet"),
            (["--margin", "0.5"], "--margin is a setting of --loss triplet"),
            (["--loss", "triplet", "--margin", "nan"], "--margin must be finite and ≥ 0, got nan"),
            (["--loss", "triplet", "--mining", "easy"], "--mining must be hardest or semi-hard, got 'easy'"),
            (["--method", "moco", "--loss", "triplet"], "--loss is not a setting of moco"),
            (["--method", "dcl", "--mining", "hardest"], "--mining is not a setting of dcl"),
            (["--method", "instdisc", "--loss", "triplet"], "--loss must be softmax or nce, got 'triplet'"),
            (["--method", "pirl", "--negatives", "10"], "--negatives is a setting of --loss nce"),
            (["--method", "pirl", "--loss", "nce", "--negatives", "100000"], "--negatives must be in 1...65536, got 100000"),
            (["--method", "instdisc", "--margin", "1"], "--margin is not a setting of instdisc"),
            (["--negatives", "5"], "--negatives is not a setting of simclr"),
            (["--method", "swav", "--multi-crop", "6"], "--multi-crop takes COUNT,SIZE, two whole numbers, got '6'"),
            (["--method", "swav", "--multi-crop", "-1,16"], "--multi-crop needs at least 1 crop of at least 1 pixel, got -1 of 16"),
            (["--method", "simclr", "--multi-crop", "2,16"], "--multi-crop is not a setting of simclr"),
            (["--method", "swav", "--multi-crop", "100000000,8"], "--multi-crop takes at most 64 small crops per image, got 100000000"),
            (["--method", "swav", "--swav-queue", "100,1"],
             "--swav-queue needs a length that is a positive multiple of the batch (256) and a start epoch ≥ 0, got 100 and 1"),
            (["--method", "swav", "--swav-queue", "512"], "--swav-queue takes LENGTH,EPOCH, two whole numbers, got '512'"),
            (["--method", "moco", "--swav-queue", "512,1"], "--swav-queue is not a setting of moco"),
            (["--method", "bogus"], "--method must be one of simclr, dcl, dclw, moco, byol, simsiam, nnclr, instdisc, swav, pirl, yadim, got 'bogus'"),
        ]
        for (arguments, message) in cases {
            expectFailure(try run("simile", ["train", "--out", "/nonexistent/run"] + arguments), status: 64, message)
        }
        let directory = try scratchDirectory("simile-method")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tooLarge = try run("simile", ["train", "--out", directory + "/run", "--method", "moco", "--queue-size",
                                          "9223372036854775807"])
        #expect(tooLarge.status != 0 && tooLarge.stdout.isEmpty
                && tooLarge.errorLine == "Error: --queue-size 9223372036854775807 is larger than the 1500 training "
                + "images its rows come from; give at most 1500", "\(tooLarge)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/run"))
    }

    @Test("--help lists every method with one line, and each method's defaults beside the flags")
    func help() throws {
        let help = try run("simile", ["train", "--help"])
        // The help wraps at the terminal's width: compare with runs of white space as one space.
        let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for entry in MethodRegistry.entries { #expect(help.stdout.contains("\(entry.name): \(entry.summary)\n"), "\(entry.name)") }
        #expect(text.contains("--queue-size <queue-size> MoCo's queue of negative keys, NNCLR's support set; at most the training images "
                              + "(default: moco: 4096; digits 512; folder 65536 | nnclr: 4096; digits 512; folder 98304)"), "\(help.stdout)")
        #expect(text.contains("(default: simclr, dcl, dclw, nnclr: 0.5 | moco: 0.1; stl10, folder 0.2 | instdisc, pirl: 0.07 | swav: 0.1)"), "\(help.stdout)")
    }
}
