import Foundation
import Testing
@testable import Simile

/// `--precision` on `simile train` and `simile-bench`: tf32 is refused with its reason where it cannot run, before
/// anything is written; an unknown precision is a usage error.
@Suite struct PrecisionFlagTests {
    @Test("tf32 where it cannot run and unknown precisions are one clear error each")
    func refusals() throws {
        let out = try scratchDirectory("simile-precision")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let run1 = "\(out)/run"
        expectFailure(try run("simile", ["train", "--precision", "tf32", "--device", "cpu", "--out", run1]), status: 1,
                      "--precision tf32 runs on NVIDIA tensor cores through OpenCL; \(Device.cpu) computes in fp32 only")
        #expect(!FileManager.default.fileExists(atPath: run1))
        let usage = "The value 'fp16' is invalid for '--precision <precision>'. Please provide one of 'fp32' and 'tf32'."
        expectFailure(try run("simile", ["train", "--precision", "fp16", "--out", run1]), status: 64, usage)
        expectFailure(try run("simile-bench", ["--precision", "fp16"]), status: 64, usage)
        expectFailure(try run("simile-bench", ["--precision", "tf32", "--device", "cpu"]), status: 1,
                      "--precision tf32 runs on NVIDIA tensor cores through OpenCL; \(Device.cpu) computes in fp32 only")
        guard let info = try CLDeviceInfo.all().first, !info.vendor.uppercased().contains("NVIDIA") else { return }
        expectFailure(try run("simile", ["train", "--precision", "tf32", "--device", "opencl", "--out", run1]),
                      status: 1, "--precision tf32 runs on NVIDIA tensor cores through inline PTX; opencl:\(info.index) "
                      + "(\(info.name)) is a \(info.vendor) device: use fp32")
        #expect(!FileManager.default.fileExists(atPath: run1))
    }
}
