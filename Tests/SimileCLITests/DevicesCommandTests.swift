import Foundation
import Testing
@testable import Simile

/// `simile devices`: the CPU backend's line names the instruction set its C loops run in, and SIMILE_CPU_ISA
/// chooses it.
@Suite struct DevicesCommandTests {
    @Test("the CPU line names the loops' instruction set; SIMILE_CPU_ISA=baseline forces it; a bad value is one error")
    func instructionSet() throws {
        let supported = CPUInstructionSet.supported.map(\.rawValue).joined(separator: ", ")
        let widest = try run("simile", ["devices"])
        #expect(widest.status == 0, "\(widest)")
        #expect(widest.stdout.contains("  loops in \(CPUInstructionSet.supported[0].rawValue): "), "\(widest)")
        #expect(widest.stdout.contains("this CPU runs \(supported) (SIMILE_CPU_ISA picks one)"), "\(widest)")
        let baseline = try run("simile", ["devices"], environment: ["SIMILE_CPU_ISA": "baseline"])
        #expect(baseline.stdout.contains("  loops in baseline: baseline x86-64 (SSE2, 4 floats per vector)"), "\(baseline)")
        expectFailure(try run("simile", ["devices"], environment: ["SIMILE_CPU_ISA": "sse9"]), status: 64,
                      "SIMILE_CPU_ISA='sse9': this CPU runs \(supported)")
        expectFailure(try run("simile", ["loss", "--method", "ntxent", "--input", "z.npy", "--device", "cpu"],
                              environment: ["SIMILE_CPU_ISA": "sse9"]), status: 64,
                      "SIMILE_CPU_ISA='sse9': this CPU runs \(supported)")
    }

    @Test("the CPU line names OpenBLAS's core; too old a core is corrected by starting again; OPENBLAS_CORETYPE stands")
    func openBLASCore() throws {
        // This process loaded the same OpenBLAS from the same environment, so it knows what the tool must show.
        let plain = try run("simile", ["devices"])
        #expect(plain.status == 0, "\(plain)")
        let expected = if let set = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] {
            "(core \(OpenBLASCore.name), from OPENBLAS_CORETYPE=\(set))"
        } else if let wider = OpenBLASCore.correction() {
            "(core \(wider), from OPENBLAS_CORETYPE=\(wider))"
        } else {
            "(core \(OpenBLASCore.name))"
        }
        #expect(plain.stdout.contains(expected), "\(plain)")
        let chosen = try run("simile", ["devices"], environment: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect(chosen.stdout.contains("(core Prescott, from OPENBLAS_CORETYPE=Prescott)"), "\(chosen)")
    }
}
