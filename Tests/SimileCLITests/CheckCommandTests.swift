import Foundation
import Testing
import Simile

/// `simile check`: every device by default, else the one --device or SIMILE_DEVICE names.
@Suite struct CheckCommandTests {
    @Test("with neither the flag nor the variable, every device is checked")
    func everyDevice() throws {
        let result = try run("simile", ["check"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.hasSuffix("all checks passed on \(1 + (try CLDeviceInfo.all()).count) device(s)\n"), "\(result)")
    }

    @Test("SIMILE_DEVICE is honoured: `cpu` checks the CPU alone, a missing device is an error")
    func variable() throws {
        let cpu = try run("simile", ["check"], environment: ["SIMILE_DEVICE": "cpu"])
        #expect(cpu.status == 0 && cpu.stdout.hasSuffix("all checks passed on 1 device(s)\n"), "\(cpu)")
        #expect(!cpu.stdout.contains("opencl:"), "\(cpu)")
        expectFailure(try run("simile", ["check"], environment: ["SIMILE_DEVICE": "opencl:99"]), status: 1,
                      "no device matches 'opencl:99'. Devices on this machine:")
    }

    @Test("--device is honoured and wins over SIMILE_DEVICE")
    func flag() throws {
        expectFailure(try run("simile", ["check", "--device", "opencl:99"], environment: ["SIMILE_DEVICE": "cpu"]),
                      status: 1, "no device matches 'opencl:99'. Devices on this machine:")
    }

    @Test("a bogus device is one usage error naming where it came from")
    func bogus() throws {
        let expected = "expected all, auto, cpu, opencl or opencl:N (N = 0, 1, ...; see `simile devices`)"
        expectFailure(try run("simile", ["check"], environment: ["SIMILE_DEVICE": "bogus"]), status: 64,
                      "SIMILE_DEVICE='bogus': \(expected)")
        expectFailure(try run("simile", ["check", "--device", "bogus"]), status: 64, "--device='bogus': \(expected)")
    }
}
