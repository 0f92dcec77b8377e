import ArgumentParser
import Simile
import SimileCommandLine

/// `simile check`: runs every op on every selected backend against float64 and reports the largest error.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the ops against float64 on every backend (CPU and each OpenCL device), or on the one --device or $SIMILE_DEVICE names.")

    @OptionGroup var device: DevicesOption

    func run() throws {
        let devices = try device.open()
        var failures = 0
        for device in devices {
            for report in try SelfCheck.run(on: device) {
                print("\(report.passed ? "ok  " : "FAIL")  \(device.identifier)  \(report.name)  "
                      + "max relative error \(report.maxRelativeError)")
                if !report.passed { failures += 1 }
            }
        }
        guard failures == 0 else { throw CheckFailure(count: failures) }
        print("all checks passed on \(devices.count) device(s)")
    }
}

/// Checks that ran and failed: a result, not a usage mistake, so it exits with 1 and prints no usage.
struct CheckFailure: Error, CustomStringConvertible {
    let count: Int
    var description: String { "\(count) check(s) failed" }
}
