import Foundation
import Simile
import Testing

/// `simile loss`: its device setting, its numeric options and its output path are checked before any work.
@Suite struct LossCommandTests {
    /// Arguments that are valid apart from the input file, which does not exist: a run that gets past argument
    /// and device checks fails on reading it, which shows those checks passed.
    static let missingInput = ["loss", "--method", "ntxent", "--input", "/nonexistent/z.npy"]

    @Test("--device and SIMILE_DEVICE are honoured, the flag first")
    func device() throws {
        let missingDevice = "no device matches 'opencl:99'. Devices on this machine:"
        expectFailure(try run("simile", Self.missingInput, environment: ["SIMILE_DEVICE": "opencl:99"]),
                      status: 1, missingDevice)
        expectFailure(try run("simile", Self.missingInput + ["--device", "opencl:99"]), status: 1, missingDevice)
        let flagWins = try run("simile", Self.missingInput + ["--device", "cpu"], environment: ["SIMILE_DEVICE": "opencl:99"])
        #expect(flagWins.status == 1 && flagWins.errorLine.contains("/nonexistent/z.npy"), "\(flagWins)")
    }

    @Test("a bogus device, or `all`, is one usage error naming where it came from")
    func bogusDevice() throws {
        let expected = "expected auto, cpu, opencl or opencl:N (N = 0, 1, ...; see `simile devices`)"
        expectFailure(try run("simile", Self.missingInput, environment: ["SIMILE_DEVICE": "bogus"]), status: 64,
                      "SIMILE_DEVICE='bogus': \(expected)")
        expectFailure(try run("simile", Self.missingInput + ["--device", "all"]), status: 64, "--device='all': \(expected)")
    }

    @Test("negative numbers reach validation and are refused with the reason")
    func negativeNumbers() throws {
        expectFailure(try run("simile", Self.missingInput + ["--temperature", "-1"]), status: 64,
                      "--temperature must be a finite number ≥ 1e-30 (smaller values overflow float32 logits), got -1.0")
        expectFailure(try run("simile", Self.missingInput + ["--sigma", "-0.5"]), status: 64,
                      "--sigma must be a finite number ≥ 1e-30 (smaller values overflow float32 logits), got -0.5")
    }

    @Test("an unknown method is a usage error of `simile loss`, with its usage")
    func unknownMethod() throws {
        let result = try run("simile", ["loss", "--method", "simclr", "--input", "z.npy"])
        expectFailure(result, status: 64,
                      "The value 'simclr' is invalid for '--method <method>'. Please provide one of 'ntxent', 'dcl' or 'dclw'.")
        #expect(result.stderr.contains("Usage: simile loss --method"), "\(result)")
    }

    @Test("a NaN in Z is one error naming the element, on each device, and no gradient is written",
          arguments: ["cpu", "opencl"])
    func nonFiniteInput(device: String) throws {
        if device == "opencl", try CLDeviceInfo.all().isEmpty { return } // the library tests require OpenCL in CI
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("simile-loss-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: directory) }
        let (input, gradient) = (directory.appendingPathComponent("z.npy").path, directory.appendingPathComponent("g.npy").path)
        var z = (0..<12).map { Float($0) / 12 }
        z[5] = .nan
        try NPY.write(z, shape: [4, 3], to: input)
        expectFailure(try run("simile", ["loss", "--method", "ntxent", "--input", input, "--grad-out", gradient,
                                         "--device", device]),
                      status: 1, "contrastiveLoss: z[1, 2] is nan; the input must be finite")
        #expect(!FileManager.default.fileExists(atPath: gradient))
    }

    @Test("an unwritable --grad-out is refused before the loss is computed")
    func gradientPath() throws {
        expectFailure(try run("simile", Self.missingInput + ["--grad-out", ""]), status: 64,
                      "--grad-out: output path is empty")
        expectFailure(try run("simile", Self.missingInput + ["--grad-out", "/nonexistent/g.npy"]), status: 64,
                      "--grad-out: /nonexistent/g.npy: cannot use the directory /nonexistent: No such file or directory")
    }
}
