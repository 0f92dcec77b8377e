import Foundation

/// Which device a user asked for: `auto`, `cpu`, `opencl` (the first OpenCL device) or `opencl:N`.
public enum DeviceSpec: Equatable, Sendable, CustomStringConvertible {
    case auto
    case cpu
    case opencl(index: Int?)

    /// Parses the `--device` / `SIMILE_DEVICE` syntax.
    public init(parsing text: String) throws {
        guard let spec = DeviceSpec(exactly: text) else {
            throw SimileError.invalidArgument("invalid device '\(text)': \(Self.expected(allowingAll: false))")
        }
        self = spec
    }

    /// The spec `text` names (case and surrounding blanks ignored), or nil.
    init?(exactly text: String) {
        let value = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch value {
        case "auto": self = .auto
        case "cpu": self = .cpu
        case "opencl": self = .opencl(index: nil)
        default:
            guard value.hasPrefix("opencl:"), let index = Int(value.dropFirst("opencl:".count)), index >= 0 else {
                return nil
            }
            self = .opencl(index: index)
        }
    }

    /// The end of every bad-device error: what would have been accepted.
    static func expected(allowingAll: Bool) -> String {
        "expected \(allowingAll ? "all, " : "")auto, cpu, opencl or opencl:N (N = 0, 1, ...; see `simile devices`)"
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
