import Foundation
import Testing
@testable import Simile

/// `simile tune`: the tuner writes the device's cache, `simile devices` and `simile check` show and use it, and a
/// corrupt cache is ignored with one warning.
@Suite struct TuneCommandTests {
    static let small = ["--device", "opencl", "--model", "resnet-small", "--batch", "4", "--image-size", "8",
                        "--repeat", "1"]

    @Test("tune writes a record that devices reports and check verifies")
    func tuneDevicesCheck() throws {
        let cache = try scratchDirectory("simile-tune")
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let environment = ["SIMILE_CACHE_DIR": cache]
        let tuned = try run("simile", ["tune"] + Self.small, environment: environment)
        #expect(tuned.status == 0, "\(tuned)")
        #expect(tuned.stdout.contains("(built-in)"), "\(tuned)")
        #expect(tuned.stdout.contains("wrote \(cache)/tuning/"), "\(tuned)")
        let info = try #require(try CLDeviceInfo.all().first)
        let file = "\(cache)/tuning/\(GemmTuningCache.file(for: info).lastPathComponent)"
        guard case .tuned(let record, let tuning) = GemmTuningCache.status(at: file, for: info) else {
            Issue.record("\(file) is not a usable record")
            return
        }
        #expect(record.workload == "resnet-small batch 4 at 8×8")
        #expect(Set(tuning.parameters.keys) == [.wide, .longK])

        let devices = try run("simile", ["devices"], environment: environment)
        #expect(devices.stdout.contains("GEMM kernels tuned on resnet-small batch 4 at 8×8"), "\(devices)")
        let check = try run("simile", ["check", "--device", "opencl"], environment: environment)
        #expect(check.status == 0, "\(check)")
        #expect(check.stdout.contains("gemm tuned NN 67x129x257"), "\(check)")
    }

    @Test("a corrupt cache is ignored with one warning, and tune replaces it")
    func corruptCache() throws {
        let cache = try scratchDirectory("simile-tune")
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let info = try #require(try CLDeviceInfo.all().first)
        let file = "\(cache)/tuning/\(GemmTuningCache.file(for: info).lastPathComponent)"
        try FileManager.default.createDirectory(atPath: "\(cache)/tuning", withIntermediateDirectories: true)
        try Data("{\"format\": 1".utf8).write(to: URL(fileURLWithPath: file))
        let environment = ["SIMILE_CACHE_DIR": cache]
        let devices = try run("simile", ["devices"], environment: environment)
        #expect(devices.stdout.contains("GEMM tuning cache ignored: it is not a tuning record"), "\(devices)")
        let tuned = try run("simile", ["tune"] + Self.small, environment: environment)
        #expect(tuned.status == 0, "\(tuned)")
        let warnings = tuned.stderr.components(separatedBy: "warning: ignoring the GEMM tuning cache").count - 1
        #expect(warnings == 1, "\(tuned)")
        guard case .tuned = GemmTuningCache.status(at: file, for: info) else {
            Issue.record("tune did not replace the corrupt cache")
            return
        }
    }

    @Test("bad flags are one clear error each")
    func badFlags() throws {
        let cases: [([String], Int32, String)] = [
            (["--batch", "0"], 64, "--batch must be at least 1, got 0"),
            (["--batch", "-3"], 64, "--batch must be at least 1, got -3"),
            (["--batch", "many"], 64, "The value 'many' is invalid for '--batch <batch>'"),
            (["--batch", "nan"], 64, "The value 'nan' is invalid for '--batch <batch>'"),
            (["--image-size", "4"], 64, "--image-size must be at least 8 for resnet18, got 4"),
            (["--model", "resnet18-imagenet", "--image-size", "16"], 64,
             "--image-size must be at least 32 for resnet18-imagenet, got 16"),
            (["--model", "vgg"], 64, "--model must be one of resnet18, resnet18-imagenet, resnet-small, got 'vgg'"),
            (["--repeat", "0"], 64, "--repeat must be at least 1, got 0"),
            (["--device", "cpu"], 1, "the CPU backend's GEMM is OpenBLAS's: there is nothing to tune on cpu "
             + "(\(Device.cpu.name)); tune an OpenCL device (--device opencl or opencl:N)"),
            (["--device", "opencl", "--batch", "100000000"], 1, ""),
        ]
        for (arguments, status, message) in cases {
            let result = try run("simile", ["tune"] + arguments)
            if message.isEmpty {
                #expect(result.status == status && result.errorLine.hasPrefix("Error: ")
                        && result.errorLine.contains("estimated activations"), "\(result)")
            } else {
                expectFailure(result, status: status, message)
            }
        }
    }
}
