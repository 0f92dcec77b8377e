import Foundation

/// Which devices a command runs on, resolved the one way every command and tool does it: the `--device`
/// flag, else `SIMILE_DEVICE` (when set and not empty), else the command's default. A bad value is one error
/// that names where it came from, so a typo in the environment is never silently ignored.
public enum DeviceSelection: Equatable, Sendable {
    /// One device.
    case one(DeviceSpec)
    /// The CPU backend and every OpenCL device.
    case every

    /// For commands that can run on several devices (`simile check`, `simile-bench`): they also accept `all`,
    /// and run on every device when neither the flag nor the variable is given.
    public static func resolve(flag: String?,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DeviceSelection {
        guard let (text, source) = try setting(flag: flag, environment: environment) else { return .every }
        if text.trimmingCharacters(in: .whitespaces).lowercased() == "all" { return .every }
        return .one(try spec(text, from: source, allowingAll: true))
    }

    /// The devices selected, opened: one, or the CPU followed by each OpenCL device in `simile devices` order.
    public func open() throws -> [Device] {
        switch self {
        case .one(let spec): return [try Device.open(spec)]
        case .every: return [Device.cpu] + (try CLDeviceInfo.all().map { try Device.open(.opencl(index: $0.index)) })
        }
    }

    /// The flag's value, else the variable's, with its source as errors name it; nil when neither is given.
    /// Also checks `SIMILE_CPU_ISA`, so that a bad value is an error in every command rather than ignored.
    static func setting(flag: String?, environment: [String: String]) throws -> (text: String, source: String)? {
        _ = try CPUInstructionSet.requested(environment: environment)
        if let flag { return (flag, "--device") }
        if let value = environment["SIMILE_DEVICE"], !value.isEmpty { return (value, "SIMILE_DEVICE") }
        return nil
    }

    static func spec(_ text: String, from source: String, allowingAll: Bool) throws -> DeviceSpec {
        guard let spec = DeviceSpec(exactly: text) else {
            throw SimileError.invalidArgument("\(source)='\(text)': \(DeviceSpec.expected(allowingAll: allowingAll))")
        }
        return spec
    }
}

extension DeviceSpec {
    /// For commands that run on one device: the `--device` flag, else `SIMILE_DEVICE`, else `auto`.
    public static func resolve(flag: String?,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DeviceSpec {
        guard let (text, source) = try DeviceSelection.setting(flag: flag, environment: environment) else { return .auto }
        return try DeviceSelection.spec(text, from: source, allowingAll: false)
    }
}
