import Testing
@testable import Simile

/// Winograd F(4×4, 3×3) on the CPU against the float64 direct convolution: odd and even sizes (tile rows and
/// columns cut by the image's edge), tile rows narrower than a vector of lanes (windows gathered across rows and
/// images) and wider (18 tiles: split rows, the last vector partial), padding 0, 1 and 2, and many blocks and rounds
/// of tile rows, ending inside images.
@Suite struct WinogradTests {
    static let geometries: [ConvGeometry] = [
        ConvGeometry(batch: 2, inChannels: 3, height: 7, width: 5, outChannels: 4, kernelHeight: 3, kernelWidth: 3,
                     stride: 1, padding: 1),
        ConvGeometry(batch: 1, inChannels: 2, height: 6, width: 6, outChannels: 3, kernelHeight: 3, kernelWidth: 3,
                     stride: 1, padding: 0),
        ConvGeometry(batch: 2, inChannels: 3, height: 4, width: 5, outChannels: 2, kernelHeight: 3, kernelWidth: 3,
                     stride: 1, padding: 2),
        ConvGeometry(batch: 3, inChannels: 17, height: 33, width: 19, outChannels: 9, kernelHeight: 3, kernelWidth: 3,
                     stride: 1, padding: 1),
        ConvGeometry(batch: 5, inChannels: 300, height: 4, width: 4, outChannels: 260, kernelHeight: 3, kernelWidth: 3,
                     stride: 1, padding: 1),
        ConvGeometry(batch: 500, inChannels: 3, height: 9, width: 16, outChannels: 2, kernelHeight: 3, kernelWidth: 3,
                     stride: 1, padding: 1),
        ConvGeometry(batch: 2, inChannels: 5, height: 6, width: 70, outChannels: 3, kernelHeight: 3, kernelWidth: 3,
                     stride: 1, padding: 1),
    ]

    /// In every instruction set this machine runs (the transforms are `CPUKernels` C kernels).
    @Test("forward and both gradients match float64 within Winograd's bound, in every supported instruction set",
          arguments: geometries)
    func matchesReference(g: ConvGeometry) throws {
        try Self.expectMatchesReference(g) { _, x, weight, bias, dy in
            (try conv2d(x, weight: weight, bias: bias, padding: g.padding, algorithm: .winograd),
             try conv2dBackwardInput(dy, weight: weight, inputShape: g.inputShape, padding: g.padding, algorithm: .winograd),
             try conv2dBackwardWeight(dy, input: x, weightShape: g.weightShape, padding: g.padding, algorithm: .winograd))
        }
    }

    @Test("blocks of seven tiles (two tile rows, ending inside images) match float64 within the same bound")
    func manyRounds() throws {
        let g = Self.geometries[3]
        try Self.expectMatchesReference(g) { cpu, x, weight, bias, dy in
            let (y, dx, dw) = (try Tensor(uninitialized: g.outputShape, on: x.device),
                               try Tensor(uninitialized: g.inputShape, on: x.device),
                               try Tensor(uninitialized: g.weightShape, on: x.device))
            try cpu.conv2dWinogradForward(g, x: x, weight: weight, bias: bias, y: y, blockTiles: 7)
            try cpu.conv2dWinogradBackwardInput(g, dy: dy, weight: weight, dx: dx, blockTiles: 7)
            try cpu.conv2dWinogradBackwardWeight(g, dy: dy, x: x, dw: dw, blockTiles: 7)
            return (y, dx, dw)
        }
    }

    /// Runs `directions` (y, dx, dw of x, weight, bias, dy) on a CPU backend of each supported instruction set and
    /// expects each within 5e-6 of the largest Σ|operands| of float64.
    static func expectMatchesReference(_ g: ConvGeometry,
                                       _ directions: (CPUBackend, Tensor, Tensor, Tensor, Tensor) throws
                                           -> (Tensor, Tensor, Tensor)) throws {
        let v = Conv2dTests.Operands(g, seed: 70)
        let (x64, w64, dy64) = (v.x.map(Double.init), v.weight.map(Double.init), v.dy.map(Double.init))
        let (xAbs, wAbs, dyAbs) = (x64.map(abs), w64.map(abs), dy64.map(abs))
        let expected = (y: Reference.conv2d(x64, weight: w64, bias: v.bias.map(Double.init), g),
                        dx: Reference.conv2dBackwardInput(dy64, weight: w64, g),
                        dw: Reference.conv2dBackwardWeight(dy64, input: x64, g))
        let scale = (y: Reference.conv2d(xAbs, weight: wAbs, bias: nil, g),
                     dx: Reference.conv2dBackwardInput(dyAbs, weight: wAbs, g),
                     dw: Reference.conv2dBackwardWeight(dyAbs, input: xAbs, g))
        for (isa, device) in CPUInstructionSetTests.devices {
            guard case .cpu(let cpu) = device.backend else { continue }
            let (y, dx, dw) = try directions(cpu, try Tensor(v.x, shape: g.inputShape, on: device),
                                             try Tensor(v.weight, shape: g.weightShape, on: device),
                                             try Tensor(v.bias, shape: [g.outChannels], on: device),
                                             try Tensor(v.dy, shape: g.outputShape, on: device))
            expectWithinBound(try y.toArray(), expected.y, scale: scale.y, bound: 5e-6, "\(isa) \(g) y")
            expectWithinBound(try dx.toArray(), expected.dx, scale: scale.dx, bound: 5e-6, "\(isa) \(g) dx")
            expectWithinBound(try dw.toArray(), expected.dw, scale: scale.dw, bound: 5e-6, "\(isa) \(g) dw")
        }
    }

    /// Expects |actual − expected| ≤ bound · max(scale), where scale holds the same sums over |operands| (Σ|w||x|
    /// for each output): the form of Winograd's error bound (WinogradCPU.swift). An output's rounding error comes
    /// from its whole tile's window, so its own taps' sum is not the yardstick; the largest one is.
    static func expectWithinBound(_ actual: [Float], _ expected: [Double], scale: [Double], bound: Double,
                                  _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let error = zip(actual, expected).map { abs(Double($0) - $1) }.max() ?? 0
        let largest = max(scale.max() ?? 0, 1e-30)
        #expect(error <= bound * largest, "\(label): error \(error / largest) of the largest Σ|w||x| > \(bound)",
                sourceLocation: sourceLocation)
    }

    @Test("auto takes Winograd for 3×3 stride-1 convolutions of 64+ channels on large enough outputs, on the CPU only; a layer follows its setting")
    func choice() throws {
        func geometry(_ channels: Int, side: Int = 8, stride: Int = 1) -> ConvGeometry {
            ConvGeometry(batch: 1, inChannels: channels, height: side, width: side, outChannels: channels, kernelHeight: 3,
                         kernelWidth: 3, stride: stride, padding: 1)
        }
        #expect(try ConvAlgorithm.auto.usesWinograd(geometry(64), on: .cpu, op: "test"))
        #expect(try !ConvAlgorithm.auto.usesWinograd(geometry(32), on: .cpu, op: "test"))
        #expect(try !ConvAlgorithm.auto.usesWinograd(geometry(64, side: 4), on: .cpu, op: "test"))
        #expect(try ConvAlgorithm.auto.usesWinograd(geometry(128, side: 4), on: .cpu, op: "test"))
        #expect(try !ConvAlgorithm.auto.usesWinograd(geometry(64, stride: 2), on: .cpu, op: "test"))
        #expect(try !ConvAlgorithm.direct.usesWinograd(geometry(64), on: .cpu, op: "test"))
        if let device = try TestBackend.opencl.open() {
            #expect(try !ConvAlgorithm.auto.usesWinograd(geometry(64), on: device, op: "test"))
        }
        let model = try ResNet.small(inputChannels: 1, on: .cpu, seed: 3)
        let x = try Tensor.uniform([2, 1, 16, 16], low: -1, high: 1, seed: 4, on: .cpu)
        model.setConvAlgorithm(.direct)
        let direct = try model.forward(x).toArray()
        model.setConvAlgorithm(.auto)
        expectClose(try model.forward(x).toArray(), direct.map(Double.init), tolerance: 1e-4, "ResNet.small features")
        #expect(model.conv1.algorithm == .auto)
    }

    @Test("asked for where it cannot run, Winograd is one clear error")
    func refused() throws {
        let x = try Tensor.zeros([1, 2, 5, 5], on: .cpu)
        expectError(.invalidArgument("conv2d: the Winograd algorithm takes 3×3 stride-1 convolutions with padding ≤ 2, "
                                     + "got 1x2x5x5 * 3x2x3x3 s2 p1")) {
            _ = try conv2d(x, weight: Tensor.zeros([3, 2, 3, 3], on: .cpu), bias: nil, stride: 2, padding: 1,
                           algorithm: .winograd)
        }
        guard let device = try TestBackend.opencl.open() else { return }
        expectError(.invalidArgument("conv2dBackwardInput: the Winograd algorithm runs on the CPU backend only")) {
            _ = try conv2dBackwardInput(Tensor.zeros([1, 3, 5, 5], on: device), weight: Tensor.zeros([3, 2, 3, 3], on: device),
                                        inputShape: [1, 2, 5, 5], padding: 1, algorithm: .winograd)
        }
    }
}
