import Testing
@testable import Simile

/// The CPU backend's C loops (`CPUKernels`) in every instruction set this machine runs, each on a private CPU
/// backend, against the float64 references; and `SIMILE_CPU_ISA`'s errors.
@Suite struct CPUInstructionSetTests {
    static let devices: [(CPUInstructionSet, Device)] = CPUInstructionSet.supported.map {
        ($0, Device(.cpu(CPUBackend(instructionSet: $0))))
    }

    @Test("baseline is always supported, and the widest supported set is the default")
    func supported() throws {
        #expect(CPUInstructionSet.supported.last == .baseline)
        #expect(try CPUInstructionSet.requested(environment: [:]) == CPUInstructionSet.supported[0])
        #expect(try CPUInstructionSet.requested(environment: ["SIMILE_CPU_ISA": "Baseline"]) == .baseline)
    }

    @Test("an unknown or unsupported SIMILE_CPU_ISA is one error naming what this CPU runs, in every command's device resolution")
    func refused() throws {
        let names = CPUInstructionSet.supported.map(\.rawValue).joined(separator: ", ")
        expectError(.invalidArgument("SIMILE_CPU_ISA='sse9': this CPU runs \(names)")) {
            _ = try DeviceSpec.resolve(flag: "cpu", environment: ["SIMILE_CPU_ISA": "sse9"])
        }
        expectError(.invalidArgument("SIMILE_CPU_ISA='sse9': this CPU runs \(names)")) {
            _ = try DeviceSelection.resolve(flag: nil, environment: ["SIMILE_CPU_ISA": "sse9"])
        }
        if let missing = CPUInstructionSet.allCases.first(where: { !CPUInstructionSet.supported.contains($0) }) {
            expectError(.invalidArgument("SIMILE_CPU_ISA='\(missing.rawValue)': this CPU runs \(names)")) {
                _ = try CPUInstructionSet.requested(environment: ["SIMILE_CPU_ISA": missing.rawValue])
            }
        }
    }

    /// Sizes whose rows are not a whole number of vectors (every partial-vector path) and, at N = 601, several
    /// tiles per slot. τ = 0.01 takes the online row and column maxima, τ = 0.1 the fixed shift.
    @Test("the contrastive losses' tile loops match float64 in every supported instruction set",
          arguments: ContrastiveMethod.allCases, [0.01, 0.1] as [Float])
    func contrastiveTiles(method: ContrastiveMethod, temperature: Float) throws {
        for (n, d) in [(3, 5), (21, 7), (601, 8)] {
            let values = randomValues(2 * n * d, seed: UInt64(n + d))
            let expected = Reference.contrastiveLoss(values.map(Double.init), rows: 2 * n, cols: d, method: method,
                                                     temperature: Double(temperature))
            for (isa, device) in Self.devices {
                let z = try Tensor(values, shape: [2 * n, d], on: device)
                let result = try contrastiveLoss(z, method: method, temperature: temperature)
                ContrastiveLossTests.expectMatches(result, expected, n: n, d: d, temperature: temperature,
                                                   "\(isa) \(method) τ=\(temperature) N=\(n) d=\(d)")
            }
        }
    }
}
