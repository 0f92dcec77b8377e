import Foundation
import Simile
import Testing

/// `simile train --distributed` under Open MPI's `mpirun`, two processes on loopback on the CPU backend: a run of P = 2
/// with a global batch of 2B trains what one process trains with batch 2B (batch norm synchronised, so that the
/// statistics are the same too), a rank that stops ends the run with one error naming it, and a run moves between
/// process counts on `--resume`. mpirun must be installed (openmpi-bin): a missing one fails the suite.
@Suite("simile train --distributed (mpirun -np 2)", .serialized)
struct DistributedTrainTests {
    /// Small runs: 128 digits, global batch 32, so 4 steps an epoch.
    static let common = ["--epochs", "2", "--train-subset", "128", "--batch-size", "32", "--device", "cpu"]

    /// `mpirun -np 2 simile train ARGUMENTS` (as root where the tests run as root), waited for.
    static func mpirunTrain(_ arguments: [String]) throws -> CommandResult {
        try run(mpirun, launch + [productsDirectory.appendingPathComponent("simile").path, "train"] + arguments,
                environment: environment)
    }

    static let mpirun = "/usr/bin/mpirun"
    static let launch = ["--oversubscribe", "-np", "2"] + (getuid() == 0 ? ["--allow-run-as-root"] : [])
    /// Shared memory without cross-memory attach, which some containers forbid.
    static let environment = ["OMPI_MCA_btl_vader_single_copy_mechanism": "none"]

    /// The loss column of each row of DIRECTORY/metrics.csv.
    static func losses(_ directory: String) throws -> [Double] {
        try String(contentsOfFile: directory + "/metrics.csv", encoding: .utf8).split(separator: "\n").dropFirst()
            .map { Double($0.split(separator: ",", omittingEmptySubsequences: false)[2])! }
    }

    /// The relative L2 distance ‖a − b‖ / ‖a‖ between the two runs' trained parameters (encoder, head).
    static func weightDistance(_ first: String, _ second: String) throws -> Double {
        func weights(_ directory: String) throws -> [String: [Float]] {
            let (tensors, _) = try Safetensors.read(directory + "/checkpoint.safetensors")
            var found: [String: [Float]] = [:]
            for tensor in tensors where tensor.name.hasPrefix("encoder.") || tensor.name.hasPrefix("head.") {
                if case .float32(let values) = tensor.data { found[tensor.name] = values }
            }
            return found
        }
        let (a, b) = (try weights(first), try weights(second))
        #expect(Set(a.keys) == Set(b.keys) && a.count > 10)
        var (difference, norm) = (0.0, 0.0)
        for (name, values) in a {
            for (x, y) in zip(values, b[name]!) {
                difference += Double(x - y) * Double(x - y)
                norm += Double(x) * Double(x)
            }
        }
        return (difference / norm).squareRoot()
    }

    /// Float rounding differs between one process and two (the order of sums, which follows the rows each process
    /// holds and its threads, and the queue's row order), and 8 steps amplify it. Measured relative weight
    /// distances: SimCLR 2.4e-4, MoCo 8.4e-5 (at 256 images and batch 64, the same single-process SimCLR run on
    /// PoCL was as far from the CPU's, 1.9e-4, and within 1.6e-6 of the two processes'); a learning rate 10% higher moves the weights 2.5e-2, so a gradient off by
    /// a few per cent fails. Without the gradient all-reduce the replicas drift apart, and the run's own check fails it.
    @Test("P = 2 with a global batch of 2B gives one process's loss curve and weights at batch 2B",
          arguments: [(["simclr"], 2e-3), (["moco", "--queue-size", "64"], 2e-3)])
    func matchesOneProcess(method: [String], tolerance: Double) throws {
        let root = try scratchDirectory("simile-distributed-\(method[0])")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let flags = Self.common + ["--method"] + method
        let one = try run("simile", ["train"] + flags + ["--out", root + "/one"])
        #expect(one.status == 0, "\(one)")
        // Small buckets, so that several all-reduces start during the backward pass.
        let two = try Self.mpirunTrain(flags + ["--distributed", "--sync-bn", "--bucket-mb", "0.05",
                                                "--out", root + "/two"])
        #expect(two.status == 0, "\(two)")
        #expect(two.stdout.contains("2 processes of 16 images each, negatives gathered, batch norm synchronised"))
        let (expected, got) = (try Self.losses(root + "/one"), try Self.losses(root + "/two"))
        #expect(expected.count == 2 && got.count == 2)
        for (a, b) in zip(expected, got) { #expect(abs(a - b) <= 2e-4 * abs(a), "\(expected) \(got)") }
        let distance = try Self.weightDistance(root + "/one", root + "/two")
        #expect(distance < tolerance, "relative weight distance \(distance)")
        guard method == ["simclr"] else { return }
        // Without the gather each loss sees 16 images: another loss, so the gather is what made them equal.
        // One epoch ("--epochs 2" leads the common flags).
        let local = try Self.mpirunTrain(["--epochs", "1"] + flags.dropFirst(2) + ["--distributed", "--sync-bn",
                                                                                  "--no-gather-negatives",
                                                                                  "--out", root + "/local"])
        #expect(local.status == 0, "\(local)")
        let localLosses = try Self.losses(root + "/local")
        #expect(abs(localLosses[0] - expected[0]) > 0.05, "\(localLosses) \(expected)")
    }

    @Test("a run stopped under P = 2 resumes under P = 1 and ends where one process would have")
    func resumesWithAnotherProcessCount() throws {
        let root = try scratchDirectory("simile-distributed-resume")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let one = try run("simile", ["train"] + Self.common + ["--out", root + "/one"])
        #expect(one.status == 0, "\(one)")
        let out = root + "/moved"
        let launcher = Process()
        launcher.executableURL = URL(fileURLWithPath: Self.mpirun)
        launcher.arguments = Self.launch + [productsDirectory.appendingPathComponent("simile").path, "train"]
            + Self.common + ["--distributed", "--sync-bn", "--checkpoint-every", "1", "--out", out]
        launcher.environment = ProcessInfo.processInfo.environment.merging(Self.environment) { $1 }
        launcher.standardOutput = FileHandle.nullDevice
        launcher.standardError = FileHandle.nullDevice
        try launcher.run()
        // After the first epoch's row, SIGINT to both ranks (not to mpirun, which would kill them): they agree on
        // a step to stop at, and rank 0 writes its checkpoint there.
        try waitFor { (try? Self.losses(out).count) ?? 0 >= 1 }
        let pkill = try run("/usr/bin/pkill", ["-INT", "-f", "^\\S*simile train .*\(out)"])
        #expect(pkill.status == 0, "\(pkill)")
        launcher.waitUntilExit()
        #expect(launcher.terminationStatus != 0)
        let (tensors, metadata) = try Safetensors.read(out + "/checkpoint.safetensors")
        #expect(!tensors.isEmpty && Int(metadata["step"] ?? "") ?? 0 >= 4)
        let resumed = try run("simile", ["train", "--resume", out, "--device", "cpu"])
        #expect(resumed.status == 0, "\(resumed)")
        let (expected, got) = (try Self.losses(root + "/one"), try Self.losses(out))
        #expect(got.count == 2)
        #expect(abs(expected[1] - got[1]) <= 2e-4 * abs(expected[1]), "\(expected) \(got)")
        #expect(try Self.weightDistance(root + "/one", out) < 2e-3)
    }

    @Test("a stopped rank ends the run within the timeout with one error naming it; the checkpoint stays intact")
    func stoppedRank() throws {
        let root = try scratchDirectory("simile-distributed-stopped")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let out = root + "/run"
        let log = root + "/log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let launcher = Process()
        launcher.executableURL = URL(fileURLWithPath: Self.mpirun)
        launcher.arguments = Self.launch + [productsDirectory.appendingPathComponent("simile").path, "train"]
            + Self.common + ["--epochs", "50", "--distributed", "--rank-timeout", "2", "--out", out]
        launcher.environment = ProcessInfo.processInfo.environment.merging(Self.environment) { $1 }
        launcher.standardOutput = FileHandle.nullDevice
        launcher.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try launcher.run()
        try waitFor { (try? Self.losses(out).count) ?? 0 >= 1 }
        // Rank 1 is the second simile process mpirun started (the higher pid).
        let ranks = try run("/usr/bin/pgrep", ["-f", "^\\S*simile train .*\(out)"]).stdout
            .split(separator: "\n").compactMap { Int32($0) }.sorted()
        #expect(ranks.count == 2)
        kill(ranks.last!, SIGSTOP)
        defer { kill(ranks.last!, SIGKILL) }
        let stopped = Date()
        launcher.waitUntilExit()
        #expect(Date().timeIntervalSince(stopped) < 30)
        #expect(launcher.terminationStatus != 0)
        let errors = try String(contentsOfFile: log, encoding: .utf8)
        #expect(errors.contains("simile: rank 0 of 2 waited 2 s for ")
                && errors.contains(": rank 1 did not answer (died or stopped); ending the run"), "\(errors)")
        let (tensors, metadata) = try Safetensors.read(out + "/checkpoint.safetensors")
        #expect(!tensors.isEmpty && metadata["format"] == "simile-checkpoint")
    }

    @Test("the data-parallel flags are refused alone, and a global batch that does not split over the ranks")
    func badFlags() throws {
        for flag in [["--sync-bn"], ["--no-gather-negatives"], ["--rank-timeout", "5"], ["--bucket-mb", "1"]] {
            expectFailure(try run("simile", ["train"] + flag), status: 64, "\(flag[0]) is a setting of --distributed")
        }
        for value in ["0", "nan", "inf"] {
            expectFailure(try run("simile", ["train", "--distributed", "--rank-timeout", value]), status: 64,
                          "--rank-timeout must be a positive number of seconds, got \(Double(value)!)")
            expectFailure(try run("simile", ["train", "--distributed", "--bucket-mb", value]), status: 64,
                          "--bucket-mb must be a positive number of MB up to 1048576, got \(Double(value)!)")
        }
        let root = try scratchDirectory("simile-distributed-bad")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let odd = try Self.mpirunTrain(Self.common + ["--batch-size", "31", "--distributed", "--out", root + "/run"])
        #expect(odd.status != 0)
        #expect(odd.stderr.contains("--batch-size 31 (the global batch) does not split evenly over the 2 processes "
                                    + "of the run"), "\(odd)")
        #expect(!FileManager.default.fileExists(atPath: root + "/run"))
    }
}
