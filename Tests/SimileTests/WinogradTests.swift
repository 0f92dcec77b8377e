import Testing
@testable import Simile

/// Winograd F(2×2, 3×3) on the CPU against the float64 direct convolution: odd and even sizes (tile rows and
/// columns cut by the image's edge), more than eight tiles across (two SIMD chunks, the last partial), padding
/// 0, 1 and 2, several blocks of tile rows, and images a block straddles (the weight gradient: on two cores, two
/// rounds, the first ending inside an image).
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
        ConvGeometry(batch: 450, inChannels: 3, height: 7, width: 16, outChannels: 2, kernelHeight: 3, kernelWidth: 3,
                     stride: 1, padding: 1),
    ]

    @Test("forward and both gradients match float64, as the direct convolution does", arguments: geometries)
    func matchesReference(g: ConvGeometry) throws {
        let v = Conv2dTests.Operands(g, seed: 70)
        let x = try Tensor(v.x, shape: g.inputShape, on: .cpu)
        let weight = try Tensor(v.weight, shape: g.weightShape, on: .cpu)
        let dy = try Tensor(v.dy, shape: g.outputShape, on: .cpu)
        let (x64, w64, dy64) = (v.x.map(Double.init), v.weight.map(Double.init), v.dy.map(Double.init))
        let (xAbs, wAbs, dyAbs) = (x64.map(abs), w64.map(abs), dy64.map(abs))
        let y = try conv2d(x, weight: weight, bias: Tensor(v.bias, shape: [g.outChannels], on: .cpu),
                           padding: g.padding, algorithm: .winograd)
        Self.expectWithinBound(try y.toArray(), Reference.conv2d(x64, weight: w64, bias: v.bias.map(Double.init), g),
                               scale: Reference.conv2d(xAbs, weight: wAbs, bias: nil, g), bound: 5e-6, "\(g) y")
        let dx = try conv2dBackwardInput(dy, weight: weight, inputShape: g.inputShape, padding: g.padding,
                                         algorithm: .winograd)
        Self.expectWithinBound(try dx.toArray(), Reference.conv2dBackwardInput(dy64, weight: w64, g),
                               scale: Reference.conv2dBackwardInput(dyAbs, weight: wAbs, g), bound: 5e-6, "\(g) dx")
        let dw = try conv2dBackwardWeight(dy, input: x, weightShape: g.weightShape, padding: g.padding,
                                          algorithm: .winograd)
        Self.expectWithinBound(try dw.toArray(), Reference.conv2dBackwardWeight(dy64, input: x64, g),
                               scale: Reference.conv2dBackwardWeight(dyAbs, input: xAbs, g), bound: 2e-7, "\(g) dw")
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
