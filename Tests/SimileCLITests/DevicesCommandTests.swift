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
}
