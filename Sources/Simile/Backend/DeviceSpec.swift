import Foundation

/// Which device a user asked for: `auto`, `cpu`, `opencl` (the first OpenCL device) or `opencl:N`.
public enum DeviceSpec: Equatable, Sendable, CustomStringConvertible {
    case auto
    case cpu
    case opencl(index: Int?)

    /// Parses the `--device` / `SIMILE_DEVICE` syntax.
    public init(parsing text: String) throws {
        let value = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch value {
        case "auto": self = .auto
        case "cpu": self = .cpu
        case "opencl": self = .opencl(index: nil)
        default:
            if value.hasPrefix("opencl:"), let index = Int(value.dropFirst("opencl:".count)), index >= 0 {
                self = .opencl(index: index)
            } else {
                throw SimileError.invalidArgument(
                    "invalid device '\(text)': expected auto, cpu, opencl or opencl:N (N = 0, 1, ...; see `simile devices`)")
            }
        }
    }

    public var description: String {
        switch self {
        case .auto: return "auto"
        case .cpu: return "cpu"
        case .opencl(nil): return "opencl"
        case .opencl(let index?): return "opencl:\(index)"
        }
    }
}
