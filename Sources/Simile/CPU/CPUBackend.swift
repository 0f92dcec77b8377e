import CBLAS
import CPUKernels
import Foundation

/// The host backend: OpenBLAS for matrix products, C loops compiled for the CPU's instruction set
/// (`CPUInstructionSet`) and Swift loops the compiler vectorises for the rest, split over the machine's cores.
public final class CPUBackend: @unchecked Sendable {
    /// Threads a parallel loop may use: one per core this process may run on (its affinity mask: mpirun binds each
    /// rank of a data-parallel run to its own cores), else one per online core.
    public let threads = Int(simile_usable_cores()) > 0 ? Int(simile_usable_cores())
        : max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// The instruction set its C loops run in.
    public let instructionSet: CPUInstructionSet
    /// Its C kernel table, held by pointer (it lives in the C target's static storage), so that this class's layout
    /// does not depend on the table's size: clients compiled against an older table stay correct.
    private let kernelTable: UnsafePointer<simile_cpu_kernels>
    var kernels: simile_cpu_kernels { kernelTable.pointee }

    /// Internal so that tests can run every instruction set side by side; `Device.cpu` takes `SIMILE_CPU_ISA`'s,
    /// else the widest this CPU runs.
    init(instructionSet: CPUInstructionSet) {
        self.instructionSet = instructionSet
        kernelTable = instructionSet.kernelTable
    }

    /// Below this many elements a loop runs on the calling thread: waking cores costs more.
    static let parallelThreshold = 1 << 15

    /// The CPU model, from /proc/cpuinfo where readable.
    public let name: String = {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
        return model.flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "host CPU"
    }()

    /// OpenBLAS's build and the CPU core whose kernels it chose when it loaded, e.g. "... (core Cooperlake)";
    /// then `OPENBLAS_CORETYPE` where it made that choice, or the value that would run wider kernels where
    /// OpenBLAS picked too old a core (`OpenBLASCore`).
    public var blasDescription: String {
        let config = String(cString: openblas_get_config()).trimmingCharacters(in: .whitespaces)
        let core = "core \(OpenBLASCore.name)"
        if let chosen = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] {
            return "\(config) (\(core), from OPENBLAS_CORETYPE=\(chosen))"
        }
        if let wider = OpenBLASCore.correction() {
            return "\(config) (\(core): too old for this CPU; OPENBLAS_CORETYPE=\(wider) runs its wider kernels)"
        }
        return "\(config) (\(core))"
    }

    /// Calls `body` on disjoint ranges that together cover `0..<count`, in parallel when `count` is
    /// large enough. `grain` keeps ranges aligned (a row length, a vector width).
    func parallelFor(_ count: Int, grain: Int = 1, work: Int? = nil, _ body: (Range<Int>) -> Void) {
        let ranges = (work ?? count) < Self.parallelThreshold ? [] : coreRanges(count, grain: grain)
        guard ranges.count > 1 else {
            body(0..<count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: ranges.count) { body(ranges[$0]) }
    }
}
