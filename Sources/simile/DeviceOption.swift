import ArgumentParser
import Simile

/// `--device auto|cpu|opencl|opencl:N`; without it, `SIMILE_DEVICE`, else `auto`.
struct DeviceOption: ParsableArguments {
    @Option(name: .long, help: "auto, cpu, opencl or opencl:N (default: $SIMILE_DEVICE, else auto).")
    var device: String?

    func open() throws -> Device {
        if let device { return try Device.open(DeviceSpec(parsing: device)) }
        return try Device.fromEnvironment()
    }
}
