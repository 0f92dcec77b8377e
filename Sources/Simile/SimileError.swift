/// Every failure Simile reports: one clear sentence, never a crash.
public enum SimileError: Error, Equatable, CustomStringConvertible {
    /// Operands whose shapes do not fit the operation.
    case shapeMismatch(op: String, detail: String)
    /// A value outside what the operation accepts (negative size, bad device string, ...).
    case invalidArgument(String)
    /// Operands that live on different devices.
    case deviceMismatch(op: String, detail: String)
    /// A requested device that does not exist; `available` lists the ones that do.
    case deviceNotFound(requested: String, available: [String])
    /// An OpenCL call that returned an error code.
    case openCL(call: String, code: Int32)
    /// An OpenCL program that did not compile, with the compiler's full log.
    case kernelBuildFailed(device: String, program: String, options: String, log: String)
    /// A device or host allocation that could not be satisfied.
    case outOfMemory(String)
    /// An error raised inside the model's layer at `path` (torchvision-style, e.g. "layer1.0.conv1").
    indirect case inLayer(path: String, error: SimileError)

    public var description: String {
        switch self {
        case let .shapeMismatch(op, detail):
            return "\(op): shape mismatch: \(detail)"
        case let .invalidArgument(message):
            return message
        case let .deviceMismatch(op, detail):
            return "\(op): operands on different devices: \(detail)"
        case let .deviceNotFound(requested, available):
            let list = available.isEmpty ? "  (none)" : available.map { "  \($0)" }.joined(separator: "\n")
            return "no device matches '\(requested)'. Devices on this machine:\n\(list)"
        case let .openCL(call, code):
            return "\(call) failed: \(openCLErrorName(code)) (\(code))"
        case let .kernelBuildFailed(device, program, options, log):
            return "OpenCL program '\(program)' failed to build on \(device) with options '\(options)'. Build log:\n\(log)"
        case let .outOfMemory(detail):
            return "out of memory: \(detail)"
        case let .inLayer(path, error):
            return "layer \(path): \(error)"
        }
    }
}
