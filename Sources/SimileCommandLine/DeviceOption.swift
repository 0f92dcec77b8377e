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

    /// The device of rank `localRank` of the `localSize` ranks of a data-parallel run on this node: `auto` takes the
    /// node's GPU or accelerator number `localRank` when there is one per rank, else the CPU backend; `opencl`
    /// without an index takes OpenCL device `localRank` when there is one per rank, else the first; anything else
    /// as it says.
    public func open(localRank: Int, localSize: Int) throws -> Device {
        let spec = try DeviceSpec.resolve(flag: device)
        let devices = try CLDeviceInfo.all()
        switch spec {
        case .auto:
            let accelerators = devices.filter { $0.type == .gpu || $0.type == .accelerator }
            return try accelerators.count >= localSize ? Device.open(.opencl(index: accelerators[localRank].index))
                : .cpu
        case .opencl(index: nil) where devices.count >= localSize:
            return try Device.open(.opencl(index: devices[localRank].index))
        default:
            return try Device.open(spec)
        }
    }
}
