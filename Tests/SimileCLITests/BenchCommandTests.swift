import Foundation
import Testing
@testable import Simile

/// `simile-bench`: the shared device setting, and every size and path checked before any timing.
@Suite struct BenchCommandTests {
    @Test("--device and SIMILE_DEVICE are honoured, the flag first; a bogus value names its source")
    func device() throws {
        let missingDevice = "no device matches 'opencl:99'. Devices on this machine:"
        expectFailure(try run("simile-bench", [], environment: ["SIMILE_DEVICE": "opencl:99"]), status: 1, missingDevice)
        expectFailure(try run("simile-bench", ["--device", "opencl:99"], environment: ["SIMILE_DEVICE": "cpu"]),
                      status: 1, missingDevice)
        expectFailure(try run("simile-bench", ["--kernel", "add"], environment: ["SIMILE_DEVICE": "bogus"]), status: 64,
                      "SIMILE_DEVICE='bogus': expected all, auto, cpu, opencl or opencl:N (N = 0, 1, ...; see `simile devices`)")
    }

    @Test("a tiny run on the device the variable names")
    func tinyRun() throws {
        let result = try run("simile-bench", ["--kernel", "add", "--size", "8", "--repeat", "1"],
                             environment: ["SIMILE_DEVICE": "cpu"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("devices: cpu ") && result.stdout.contains("add "), "\(result)")
    }

    @Test("train-step: the whole step, its phases and the encoder alone on every device, and the ratio of each")
    func trainStep() throws {
        let result = try run("simile-bench", ["--kernel", "train-step", "--size", "2", "--repeat", "1", "--device", "all",
                                              "--method", "moco,nnclr,instdisc,swav,pirl,pirl+nce,swav+multi-crop"])
        #expect(result.status == 0, "\(result)")
        let lines = result.stdout.split(separator: "\n")
        let devices = lines.filter { $0.hasPrefix("train-step-encoder ") }.count
        #expect(devices >= 1 && lines.filter { $0.hasPrefix("train-step ") }.count == devices, "\(result)")
        #expect(lines.filter { $0.contains("phases (median ms") && $0.contains("optimizer") }.count == devices)
        #expect(lines.filter { $0.contains(": the whole SimCLR step (batch=2, ") }.count == devices, "\(result)")
        for method in ["moco", "nnclr", "instdisc", "swav", "pirl", "pirl+nce", "swav+multi-crop"] {
            #expect(lines.filter { $0.hasPrefix("train-step[\(method)] ") }.count == devices, "\(result)")
            #expect(lines.filter { $0.contains(": train-step[\(method)] takes ") && $0.contains("× SimCLR's step")
                                   && $0.contains("peak memory") }.count == devices, "\(result)")
        }
        expectFailure(try run("simile-bench", ["--kernel", "train-step", "--method", "bogus"]), status: 64,
                      "--method must be one of simclr, dcl, dclw, moco, byol, simsiam, nnclr, instdisc, swav, pirl, yadim, got 'bogus'")
    }

    @Test("sizes no device can hold are one error, at once, not a crash")
    func impossibleSizes() throws {
        expectFailure(try run("simile-bench", ["--kernel", "gemm", "--device", "cpu", "--size", "100000000", "--repeat", "1"]),
                      status: 1, "out of memory: tensor [100000000, 100000000] needs 40000000000000000 bytes; \(MemoryLimit.host.reason)")
        expectFailure(try run("simile-bench", ["--kernel", "add", "--size", "4294967296"]), status: 64,
                      "--size 4294967296 is too large: an n×n matrix would have more than \(Int.max) elements")
    }

    @Test("negative numbers and unwritable paths are refused with the reason, before any work")
    func badArguments() throws {
        expectFailure(try run("simile-bench", ["--size", "-5"]), status: 64,
                      "--size takes positive integers separated by commas, got '-5'")
        expectFailure(try run("simile-bench", ["--repeat", "-1"]), status: 64, "--repeat must be at least 1, got -1")
        expectFailure(try run("simile-bench", ["--json", "/nonexistent/bench.json"]), status: 64,
                      "--json: /nonexistent/bench.json: cannot use the directory /nonexistent: No such file or directory")
    }
}
