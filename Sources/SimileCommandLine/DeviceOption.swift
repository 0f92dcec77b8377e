import ArgumentParser
import Simile

/// `--device` for commands that run on one device: the flag, else `SIMILE_DEVICE`, else `auto`
/// (`DeviceSpec.resolve`). A bad value from either source is a usage error naming that source.
public struct DeviceOption: ParsableArguments {
    @Option(help: "auto, cpu, opencl or opencl:N (default: $SIMILE_DEVICE, else auto).")
    public var device: String?

    public init() {}

    public func validate() throws {
        try asValidationError { _ = try DeviceSpec.resolve(flag: device) }
    }

    public func open() throws -> Device {
        try Device.open(DeviceSpec.resolve(flag: device))
    }
}
