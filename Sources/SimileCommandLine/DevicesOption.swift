import ArgumentParser
import Simile

/// `--device` for commands that can run on several devices: the flag, else `SIMILE_DEVICE`, else every device
/// (`DeviceSelection.resolve`); `all` names every device explicitly. A bad value from either source is a usage
/// error naming that source.
public struct DevicesOption: ParsableArguments {
    @Option(help: "all, auto, cpu, opencl or opencl:N (default: $SIMILE_DEVICE, else all: the CPU and every OpenCL device).")
    public var device: String?

    public init() {}

    public func validate() throws {
        try asValidationError { _ = try DeviceSelection.resolve(flag: device) }
    }

    public func open() throws -> [Device] {
        try DeviceSelection.resolve(flag: device).open()
    }
}
