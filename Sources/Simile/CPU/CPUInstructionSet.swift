import CPUKernels
import Foundation

/// The instruction set the CPU backend's C loops (`Sources/CPUKernels`) run in. Each is compiled into every
/// binary; the best one this CPU supports is picked at start, and `SIMILE_CPU_ISA` forces a lower one (to
/// compare them, or to rule one out).
public enum CPUInstructionSet: String, CaseIterable, Sendable {
    case baseline, avx2, avx512

    var cValue: simile_isa {
        switch self {
        case .baseline: return SIMILE_ISA_BASELINE
        case .avx2: return SIMILE_ISA_AVX2
        case .avx512: return SIMILE_ISA_AVX512
        }
    }

    /// What it means, for `simile devices`.
    public var summary: String {
        switch self {
        case .baseline: return "baseline x86-64 (SSE2, 4 floats per vector)"
        case .avx2: return "AVX2 + FMA (8 floats per vector)"
        case .avx512: return "AVX-512 (16 floats per vector)"
        }
    }

    /// The instruction sets this CPU runs, widest first.
    public static let supported: [CPUInstructionSet] = allCases.reversed().filter { simile_isa_supported($0.cValue) != 0 }

    /// Their names, widest first: "avx2, baseline".
    public static var supportedNames: String { supported.map(\.rawValue).joined(separator: ", ") }

    /// The one `SIMILE_CPU_ISA` asks for, else the widest this CPU runs. An unknown name or one this CPU cannot run
    /// is an error that names the supported ones.
    public static func requested(environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> CPUInstructionSet {
        guard let text = environment["SIMILE_CPU_ISA"], !text.isEmpty else { return supported[0] }
        guard let isa = CPUInstructionSet(rawValue: text.lowercased()), supported.contains(isa) else {
            throw SimileError.invalidArgument("SIMILE_CPU_ISA='\(text)': this CPU runs \(supportedNames)")
        }
        return isa
    }

    /// Its C kernel table (static storage in the C target).
    var kernelTable: UnsafePointer<simile_cpu_kernels> { simile_cpu_kernels_for(cValue) }
}
