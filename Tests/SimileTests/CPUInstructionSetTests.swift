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

    /// im2col's and col2im's strided runs (`strided_copy`, `strided_add`) through a stride-2 convolution.
    @Test("strided im2col and col2im runs match float64 in every supported instruction set")
    func stridedRuns() throws {
        let g = Conv2dTests.geometries.last!
        let v = Conv2dTests.Operands(g, seed: 41)
        let (x64, w64, dy64) = (v.x.map(Double.init), v.weight.map(Double.init), v.dy.map(Double.init))
        for (isa, device) in Self.devices {
            let x = try Tensor(v.x, shape: g.inputShape, on: device)
            let weight = try Tensor(v.weight, shape: g.weightShape, on: device)
            let dy = try Tensor(v.dy, shape: g.outputShape, on: device)
            expectClose(try conv2d(x, weight: weight, bias: nil, stride: 2, padding: 1).toArray(),
                        Reference.conv2d(x64, weight: w64, bias: nil, g), tolerance: 1e-5, "\(isa) y")
            expectClose(try conv2dBackwardInput(dy, weight: weight, inputShape: g.inputShape, stride: 2, padding: 1)
                            .toArray(), Reference.conv2dBackwardInput(dy64, weight: w64, g), tolerance: 3e-5, "\(isa) dx")
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
