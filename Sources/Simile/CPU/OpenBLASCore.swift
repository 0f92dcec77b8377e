import CBLAS
import Foundation

/// Which CPU core's kernels OpenBLAS runs, and the correction when it picked too old a one.
///
/// OpenBLAS chooses its kernels when it loads, from the CPU's model number. A model newer than the library falls
/// back to an old core: Debian 12's OpenBLAS 0.3.21 runs its Prescott (SSE3) kernels on an Emerald Rapids Xeon
/// (family 6, model 207). Measured on such a 16-core machine, same run: sgemm 205–230 GFLOP/s with Prescott's
/// kernels against 1170–1470 with `OPENBLAS_CORETYPE=SkylakeX`, about 6×. `OPENBLAS_CORETYPE` is read once, when
/// the library loads, so a process can only take it by starting again: the command-line tools do that
/// (`relaunchWithCorrectedCore`); a program that links Simile sets the variable itself.
public enum OpenBLASCore {
    /// The core whose kernels OpenBLAS chose when it loaded, e.g. "Haswell".
    public static var name: String { String(cString: openblas_get_corename()) }

    /// OpenBLAS's cores without AVX2 kernels (its DYNAMIC_ARCH names, compared case-insensitively). A name not in
    /// this list is never corrected: it is either a core with wide kernels or one this list does not know.
    static let coresBelowAVX2: Set<String> = [
        "unknown", "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn", "dunnington",
        "nehalem", "athlon", "opteron", "opteron(sse3)", "barcelona", "nano", "sandybridge", "bobcat", "bulldozer",
        "piledriver", "steamroller", "excavator",
    ]

    /// The `OPENBLAS_CORETYPE` value that runs kernels as wide as this CPU's vectors when OpenBLAS chose `core`
    /// without AVX2 on a CPU that runs `widest`; nil when its choice stands, and always when `environment` sets
    /// `OPENBLAS_CORETYPE` (the user's choice, whatever it is).
    static func correction(core: String, widest: CPUInstructionSet, environment: [String: String]) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil, coresBelowAVX2.contains(core.lowercased()) else { return nil }
        switch widest {
        case .avx512: return "SkylakeX"
        case .avx2: return "Haswell"
        case .baseline: return nil
        }
    }

    /// The correction for this process.
    public static func correction() -> String? {
        correction(core: name, widest: CPUInstructionSet.supported[0], environment: ProcessInfo.processInfo.environment)
    }

    /// Starts this program again, same arguments and environment plus `OPENBLAS_CORETYPE`, when `correction()`
    /// names a core; returns when it names none, or when the program cannot be started again (it then runs on
    /// with OpenBLAS's choice, which `simile devices` shows). The new process finds the variable set, so it
    /// never starts a third.
    public static func relaunchWithCorrectedCore() {
        guard let core = correction() else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        unsetenv("OPENBLAS_CORETYPE")
    }
}
