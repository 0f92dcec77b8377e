import Foundation

/// A place where tensors live and ops run: the host CPU or one OpenCL device.
/// Devices are opened once and shared: `Device.open` returns the same object for the same device.
public final class Device: @unchecked Sendable, CustomStringConvertible {
    public enum Backend {
        case cpu(CPUBackend)
        case opencl(OpenCLBackend)
    }

    public let backend: Backend

    /// Internal so that tests can open a second backend with other kernel shapes; users call `open`.
    init(_ backend: Backend) { self.backend = backend }

    /// The host CPU backend, its C loops in `SIMILE_CPU_ISA`'s instruction set, else the widest this CPU runs (a
    /// bad `SIMILE_CPU_ISA` is reported by `DeviceSelection`, which every command resolves its devices through).
    public static let cpu = Device(.cpu(CPUBackend(instructionSet: (try? CPUInstructionSet.requested())
                                                       ?? CPUInstructionSet.supported[0])))

    /// "cpu" or "opencl:N".
    public var identifier: String {
        switch backend {
        case .cpu: return "cpu"
        case .opencl(let cl): return cl.identifier
        }
    }

    public var name: String {
        switch backend {
        case .cpu(let cpu): return cpu.name
        case .opencl(let cl): return cl.info.name
        }
    }

    public var description: String { "\(identifier) (\(name))" }

    /// The OpenCL device's description, or nil for the CPU.
    public var openCLInfo: CLDeviceInfo? {
        if case .opencl(let cl) = backend { return cl.info }
        return nil
    }

    /// Opens the device `spec` names. `auto` takes the first OpenCL GPU or accelerator, else the CPU.
    public static func open(_ spec: DeviceSpec) throws -> Device {
        switch spec {
        case .cpu:
            return cpu
        case .auto:
            return try autoChoice().index.map { try openCL(index: $0) } ?? cpu
        case .opencl(let index):
            guard let first = try CLDeviceInfo.all().first else {
                throw SimileError.deviceNotFound(requested: spec.description, available: try availableDevices())
            }
            return try openCL(index: index ?? first.index)
        }
    }

    /// The device named by `SIMILE_DEVICE`, or `auto` when it is unset or empty.
    public static func fromEnvironment() throws -> Device {
        try open(DeviceSpec.resolve(flag: nil))
    }

    /// What `auto` picks: the index of the first OpenCL GPU or accelerator (nil for the CPU), and why.
    public static func autoChoice() throws -> (index: Int?, reason: String) {
        let devices = try CLDeviceInfo.all()
        if let pick = devices.first(where: { $0.type == .gpu || $0.type == .accelerator }) {
            return (pick.index, "opencl:\(pick.index) is the first OpenCL \(pick.type.rawValue)")
        }
        if devices.isEmpty { return (nil, "cpu: no OpenCL device is installed") }
        return (nil, "cpu: no OpenCL GPU or accelerator; the OpenCL devices are CPUs (ask for them with --device opencl)")
    }

    /// One line per device that `--device` accepts.
    public static func availableDevices() throws -> [String] {
        ["cpu  \(Device.cpu.name) (OpenBLAS)"] + (try CLDeviceInfo.all()).map(\.summary)
    }

    private static let lock = NSLock()
    private static var opened: [Int: Device] = [:]

    private static func openCL(index: Int) throws -> Device {
        lock.lock()
        defer { lock.unlock() }
        if let device = opened[index] { return device }
        guard let info = try CLDeviceInfo.all().first(where: { $0.index == index }) else {
            throw SimileError.deviceNotFound(requested: "opencl:\(index)", available: try availableDevices())
        }
        let device = Device(.opencl(try OpenCLBackend(info)))
        opened[index] = device
        return device
    }
}

extension Device {
    /// Waits until all work enqueued on this device has finished (CPU ops finish before they return).
    public func synchronize() throws {
        if case .opencl(let cl) = backend { try cl.synchronize() }
    }
}
