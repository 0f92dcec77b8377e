import Foundation
import Simile
import Testing

/// `simile train` under hostile use: signals at any point, run directories that are never stranded nor shared,
/// flags that do what they say, and failures that say where the run stands.
@Suite(.serialized) struct TrainHardeningTests {
    static let tiny = ["--train-subset", "128", "--batch-size", "64", "--head", "16,8", "--epochs", "2",
                       "--device", "cpu"]

    /// Whether `process` catches SIGINT and SIGTERM (the train command's handler is in place), from /proc. (Its
    /// ignored set says nothing: a child may inherit SIGINT ignored, as a shell's background jobs do.)
    private func handlesStopSignals(_ process: Process) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
              let mask = UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return false }
        let wanted = UInt64(1) << (SIGINT - 1) | UInt64(1) << (SIGTERM - 1)
        return mask & wanted == wanted
    }

    private func lastLine(_ log: String) throws -> Substring {
        try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").last ?? ""
    }

    @Test("a signal before the first step, during the evaluation at random init or during the final one ends the run with one line saying what was kept")
    func signals() throws {
        let directory = try scratchDirectory("simile-hardening")
        defer { try? FileManager.default.removeItem(atPath: directory) }

        // As soon as the handler is in place: in set-up or, at the latest, the evaluation at random init.
        let early = try startTrain(["--out", directory + "/early"] + Self.tiny, log: directory + "/early.log")
        try waitFor { handlesStopSignals(early) || !early.isRunning }
        kill(early.processIdentifier, SIGINT)
        early.waitUntilExit()
        #expect(early.terminationStatus == 128 + SIGINT)
        let earlyLine = try lastLine(directory + "/early.log")
        if earlyLine.contains("before training started") {
            #expect(earlyLine == "stopped by signal 2 before training started; nothing was written")
            #expect(!FileManager.default.fileExists(atPath: directory + "/early"))
        } else {
            #expect(earlyLine == "stopped by signal 2 during the evaluation at random init; kept: the run at step 0 in "
                    + "\(directory)/early. Continue with: simile train --resume \(directory)/early")
        }

        // The checkpoint of step 0 is written before the evaluation at random init.
        let setup = try startTrain(["--out", directory + "/setup"] + Self.tiny, log: directory + "/setup.log")
        try waitFor { FileManager.default.fileExists(atPath: directory + "/setup/config.json") }
        kill(setup.processIdentifier, SIGTERM)
        setup.waitUntilExit()
        #expect(setup.terminationStatus == 128 + SIGTERM)
        let setupLine = try lastLine(directory + "/setup.log")
        #expect(setupLine.hasPrefix("stopped by signal 15 ")
                && setupLine.hasSuffix("Continue with: simile train --resume \(directory)/setup"), "\(setupLine)")
        let resumed = try run("simile", ["train", "--resume", directory + "/setup", "--device", "cpu"])
        #expect(resumed.status == 0 && resumed.stdout.contains("epoch 2/2"), "\(resumed)")

        let final = try startTrain(["--out", directory + "/final"] + Self.tiny, log: directory + "/final.log")
        try waitFor { try String(contentsOfFile: directory + "/final.log", encoding: .utf8).contains("epoch 2/2")
                      || !final.isRunning }
        kill(final.processIdentifier, SIGINT)
        final.waitUntilExit()
        #expect(final.terminationStatus == 128 + SIGINT)
        #expect(try lastLine(directory + "/final.log") == "stopped by signal 2 during the final evaluation; the trained "
                + "run is complete in \(directory)/final. Evaluate it with: simile eval knn --checkpoint "
                + "\(directory)/final/checkpoint.safetensors")
    }

    @Test("a run that fails before its first checkpoint leaves nothing; a later failure names the last good checkpoint")
    func failures() throws {
        let directory = try scratchDirectory("simile-hardening")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let diverged = try run("simile", ["train", "--out", directory + "/diverged", "--lr", "1e30"] + Self.tiny)
        #expect(diverged.status == 1)
        #expect(diverged.errorLine.hasPrefix("Error: training diverged at step ")
                && diverged.errorLine.hasSuffix("nothing was kept (\(directory)/diverged was cleared), so the same "
                                                 + "command starts it again. Try a lower --lr (this run's is 1e+30)"),
                "\(diverged)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/diverged"))

        // A resumed run is never removed: its error names its last checkpoint.
        let base = try run("simile", ["train", "--out", directory + "/run", "--checkpoint-every", "1"] + Self.tiny)
        #expect(base.status == 0, "\(base)")
        let (tensors, metadata) = try Safetensors.read(directory + "/run/checkpoint.safetensors")
        var configuration = try TrainingConfiguration(json: metadata["configuration"]!)
        configuration.epochs = 3
        configuration.learningRate = 1e30
        var steep = metadata
        steep["configuration"] = try configuration.json()
        try Safetensors.write(tensors, metadata: steep, to: directory + "/run/checkpoint.safetensors")
        let resumed = try run("simile", ["train", "--resume", directory + "/run", "--device", "cpu"])
        #expect(resumed.status == 1)
        #expect(resumed.stderr.hasPrefix("Error: training diverged at step ")
                && resumed.errorLine.hasSuffix("the last good checkpoint is \(directory)/run/checkpoint.safetensors, "
                                               + "after step 4 of 6, with 2 of 3 epochs completed. Try a lower --lr "
                                               + "(this run's is 1e+30)"), "\(resumed)")
        #expect(FileManager.default.fileExists(atPath: directory + "/run/checkpoint.safetensors"))
    }

    @Test("one run at a time in a directory, --resume stays in its own, and --out must be a directory")
    func runDirectories() throws {
        let directory = try scratchDirectory("simile-hardening")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try startTrain(["--out", directory + "/run", "--train-subset", "256"] + Self.tiny,
                                   log: directory + "/first.log")
        try waitFor { FileManager.default.fileExists(atPath: directory + "/run/config.json") }
        expectFailure(try run("simile", ["train", "--resume", directory + "/run", "--device", "cpu"]), status: 1,
                      "\(directory)/run is in use by another simile train (process \(first.processIdentifier)); wait "
                      + "for it to end, or stop it first")
        // Killed at once: the checkpoint of step 0 is there, so the run continues from its start.
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let resumed = try run("simile", ["train", "--resume", directory + "/run", "--device", "cpu"])
        #expect(resumed.status == 0 && resumed.stdout.contains("epoch 2/2"), "\(resumed)")

        try FileManager.default.createDirectory(atPath: directory + "/empty", withIntermediateDirectories: false)
        expectFailure(try run("simile", ["train", "--resume", directory + "/empty", "--device", "cpu"]), status: 1,
                      "\(directory)/empty holds no run to continue (no checkpoint.safetensors); start one with: simile "
                      + "train --out \(directory)/empty")
        expectFailure(try run("simile", ["train", "--resume", directory + "/run", "--out", directory + "/other"]),
                      status: 64, "--resume \(directory)/run continues the run in its own directory; --out cannot move it")
        try Data().write(to: URL(fileURLWithPath: directory + "/file"))
        try FileManager.default.createSymbolicLink(atPath: directory + "/dangling", withDestinationPath: "/nonexistent")
        for (out, message) in [("", "--out is empty; give a directory for the run"),
                               ("/dev/null", "--out /dev/null is a character device, not a directory"),
                               (directory + "/file", "--out \(directory)/file is a regular file, not a directory"),
                               (directory + "/dangling", "--out \(directory)/dangling is a symbolic link to nothing; give a directory")] {
            expectFailure(try run("simile", ["train", "--out", out]), status: 64, message)
        }
    }

    @Test("--conv-algorithm winograd runs Winograd where it applies on the CPU and is refused on OpenCL before anything is made")
    func winograd() throws {
        let directory = try scratchDirectory("simile-hardening")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cpu = try run("simile", ["train", "--out", directory + "/cpu", "--conv-algorithm", "winograd"] + Self.tiny)
        #expect(cpu.status == 0 && cpu.stdout.contains("epoch 2/2"), "\(cpu)")
        let opencl = try run("simile", ["train", "--out", directory + "/opencl", "--conv-algorithm", "winograd",
                                        "--device", "opencl"])
        #expect(opencl.status == 64 && opencl.errorLine.hasPrefix("Error: --conv-algorithm winograd runs on the CPU "
                                                                   + "backend only, and the device is opencl:0"), "\(opencl)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/opencl"))
    }

    @Test("counts that overflow and runs that cannot fit are refused with the reason, before training")
    func impossibleSizes() throws {
        let directory = try scratchDirectory("simile-hardening")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        expectFailure(try run("simile", ["train", "--out", directory + "/a", "--epochs", "9223372036854775807",
                                         "--device", "cpu"]), status: 1,
                      "--epochs 9223372036854775807 of 5 steps each is more than the 9007199254740992 steps (2^53) a "
                      + "run can count: its schedule computes in float64, exact to 2^53")
        let huge = try run("simile", ["train", "--out", directory + "/b", "--size", "4096", "--device", "cpu"])
        #expect(huge.status == 1 && huge.errorLine.hasPrefix("Error: out of memory: training resnet-small + head "
                                                              + "128,64 on 512 views of 4096×4096 (estimated: activations "
                                                              + "and the loader's batches) needs ")
                && huge.errorLine.contains("bytes; this machine has "), "\(huge)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/a")
                && !FileManager.default.fileExists(atPath: directory + "/b"))
    }
}
