import ArgumentParser
import Simile

/// `simile check`: runs every op on every backend against the CPU result and reports the largest error.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the ops against float64 on every backend (CPU and each OpenCL device), or on --device.")

    @OptionGroup var device: DeviceOption

    func run() throws {
        var devices = [Device.cpu]
        if device.device != nil {
            devices = [try device.open()]
        } else {
            for info in try CLDeviceInfo.all() { devices.append(try Device.open(.opencl(index: info.index))) }
        }
        var failures = 0
        for device in devices {
            for report in try SelfCheck.run(on: device) {
                print("\(report.passed ? "ok  " : "FAIL")  \(device.identifier)  \(report.name)  "
                      + "max relative error \(report.maxRelativeError)")
                if !report.passed { failures += 1 }
            }
        }
        if failures > 0 { throw ValidationError("\(failures) check(s) failed") }
        print("all checks passed on \(devices.count) device(s)")
    }
}
