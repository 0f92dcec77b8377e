import Testing
@testable import Simile

@Suite struct Conv2dTests {
    /// Odd shapes: 1×1, 3×3, 5×5 and non-square kernels, stride 1 and 2, padding 0/1/2, N > 1, O ≠ C. Those with
    /// stride 1 and OW = W take the CPU's shifted-row im2col, the others its general one. The last three also
    /// exercise the CPU tiling: an image split over two tiles (2×40×20×20), several images per tile
    /// with an uneven last tile (9×40×7×7), and a pointwise convolution that gathers images (3×600×2×2). The last,
    /// stride 2 on 22 columns, has strided runs long enough for the C kernels' vector steps and their scalar tails.
    static let geometries: [ConvGeometry] = [
        ConvGeometry(batch: 1, inChannels: 3, height: 7, width: 5, outChannels: 4, kernelHeight: 3, kernelWidth: 3,
                     stride: 1, padding: 1),
        ConvGeometry(batch: 1, inChannels: 3, height: 7, width: 5, outChannels: 2, kernelHeight: 1, kernelWidth: 1),
        ConvGeometry(batch: 2, inChannels: 3, height: 7, width: 5, outChannels: 5, kernelHeight: 5, kernelWidth: 5,
                     stride: 2, padding: 2),
        ConvGeometry(batch: 3, inChannels: 4, height: 6, width: 9, outChannels: 2, kernelHeight: 1, kernelWidth: 1,
                     stride: 2, padding: 0),
        ConvGeometry(batch: 2, inChannels: 3, height: 7, width: 5, outChannels: 4, kernelHeight: 2, kernelWidth: 3,
                     stride: 2, padding: 1),
        ConvGeometry(batch: 2, inChannels: 2, height: 5, width: 6, outChannels: 3, kernelHeight: 3, kernelWidth: 1,
                     stride: 1, padding: 2),
        ConvGeometry(batch: 2, inChannels: 3, height: 7, width: 5, outChannels: 4, kernelHeight: 5, kernelWidth: 3,
                     stride: 1, padding: 1),
        ConvGeometry(batch: 2, inChannels: 40, height: 20, width: 20, outChannels: 3, kernelHeight: 3, kernelWidth: 3,
                     stride: 1, padding: 1),
        ConvGeometry(batch: 9, inChannels: 40, height: 7, width: 7, outChannels: 3, kernelHeight: 3, kernelWidth: 3,
                     stride: 1, padding: 1),
        ConvGeometry(batch: 3, inChannels: 600, height: 2, width: 2, outChannels: 5, kernelHeight: 1, kernelWidth: 1),
        ConvGeometry(batch: 2, inChannels: 3, height: 20, width: 22, outChannels: 4, kernelHeight: 3, kernelWidth: 3,
                     stride: 2, padding: 1),
    ]

    /// Random x, weight, bias and dy for `g`.
    struct Operands {
        let x, weight, bias, dy: [Float]
        init(_ g: ConvGeometry, seed: UInt64) {
            x = randomValues(g.inputShape.reduce(1, *), seed: seed)
            weight = randomValues(g.weightShape.reduce(1, *), seed: seed + 1)
            bias = randomValues(g.outChannels, seed: seed + 2)
            dy = randomValues(g.outputShape.reduce(1, *), seed: seed + 3)
        }
    }

    @Test("forward and the three gradients match float64", arguments: TestBackend.allCases, geometries)
    func matchesReference(backend: TestBackend, g: ConvGeometry) throws {
        guard let device = try backend.open() else { return }
        let v = Operands(g, seed: 40)
        let x = try Tensor(v.x, shape: g.inputShape, on: device)
        let weight = try Tensor(v.weight, shape: g.weightShape, on: device)
        let dy = try Tensor(v.dy, shape: g.outputShape, on: device)
        let (x64, w64, dy64) = (v.x.map(Double.init), v.weight.map(Double.init), v.dy.map(Double.init))
        let y = try conv2d(x, weight: weight, bias: Tensor(v.bias, shape: [g.outChannels], on: device),
                           stride: g.stride, padding: g.padding)
        #expect(y.shape == g.outputShape)
        expectClose(try y.toArray(), Reference.conv2d(x64, weight: w64, bias: v.bias.map(Double.init), g),
                    tolerance: 1e-5, "\(g) y")
        let unbiased = try conv2d(x, weight: weight, bias: nil, stride: g.stride, padding: g.padding)
        expectClose(try unbiased.toArray(), Reference.conv2d(x64, weight: w64, bias: nil, g), tolerance: 1e-5,
                    "\(g) y without bias")
        let dx = try conv2dBackwardInput(dy, weight: weight, inputShape: g.inputShape, stride: g.stride,
                                         padding: g.padding)
        expectClose(try dx.toArray(), Reference.conv2dBackwardInput(dy64, weight: w64, g), tolerance: 3e-5, "\(g) dx")
        let dw = try conv2dBackwardWeight(dy, input: x, weightShape: g.weightShape, stride: g.stride,
                                          padding: g.padding)
        expectClose(try dw.toArray(), Reference.conv2dBackwardWeight(dy64, input: x64, g), tolerance: 3e-5,
                    "\(g) dw")
        expectClose(try conv2dBackwardBias(dy).toArray(), Reference.conv2dBackwardBias(dy64, g), tolerance: 1e-5,
                    "\(g) dbias")
    }

    @Test("a hand-computed case: the sum of the diagonal taps, with and without padding",
          arguments: TestBackend.allCases)
    func handComputed(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let x = try Tensor((1...9).map(Float.init), shape: [1, 1, 3, 3], on: device)
        let weight = try Tensor([1, 0, 0, 1], shape: [1, 1, 2, 2], on: device)
        #expect(try conv2d(x, weight: weight, bias: nil).toArray() == [6, 8, 12, 14])
        #expect(try conv2d(x, weight: weight, bias: nil, stride: 2, padding: 1).toArray() == [1, 3, 7, 14])
    }

    @Test("OpenCL: several chunks and every GEMM variant match float64", arguments: GemmKernel.allCases)
    func openCLChunksAndVariants(kernel: GemmKernel) throws {
        guard let device = try TestBackend.opencl.open(), let cl = device.openCL else { return }
        let g = ConvGeometry(batch: 5, inChannels: 3, height: 7, width: 5, outChannels: 4, kernelHeight: 3,
                             kernelWidth: 2, stride: 2, padding: 1)
        let v = Operands(g, seed: 50)
        let x = try Tensor(v.x, shape: g.inputShape, on: device)
        let weight = try Tensor(v.weight, shape: g.weightShape, on: device)
        let bias = try Tensor(v.bias, shape: [g.outChannels], on: device)
        let dy = try Tensor(v.dy, shape: g.outputShape, on: device)
        let (x64, w64, dy64) = (v.x.map(Double.init), v.weight.map(Double.init), v.dy.map(Double.init))
        let y = try Tensor(uninitialized: g.outputShape, on: device)
        let dx = try Tensor(uninitialized: g.inputShape, on: device)
        let dw = try Tensor(uninitialized: g.weightShape, on: device)
        try cl.conv2dForward(g, x: x, weight: weight, bias: bias, y: y, chunkLimit: 2, kernel: kernel)
        try cl.conv2dBackwardInput(g, dy: dy, weight: weight, dx: dx, chunkLimit: 2, kernel: kernel)
        try cl.conv2dBackwardWeight(g, dy: dy, x: x, dw: dw, chunkLimit: 2, kernel: kernel)
        expectClose(try y.toArray(), Reference.conv2d(x64, weight: w64, bias: v.bias.map(Double.init), g),
                    tolerance: 1e-5, "\(kernel) y")
        expectClose(try dx.toArray(), Reference.conv2dBackwardInput(dy64, weight: w64, g), tolerance: 1e-5,
                    "\(kernel) dx")
        expectClose(try dw.toArray(), Reference.conv2dBackwardWeight(dy64, input: x64, g), tolerance: 3e-5,
                    "\(kernel) dw")
    }

    @Test("OpenCL: a weight gradient long in K is split over the compute units and matches float64",
          arguments: GemmKernel.allCases)
    func openCLSplitWeightGradient(kernel: GemmKernel) throws {
        guard let device = try TestBackend.opencl.open(), let cl = device.openCL else { return }
        let g = ConvGeometry(batch: 8, inChannels: 2, height: 16, width: 16, outChannels: 4, kernelHeight: 3,
                             kernelWidth: 3, stride: 1, padding: 1)
        let variant = GemmVariant(kernel, device: cl.info)
        let columns = g.batch * g.outSpatial
        let split = variant.split(m: g.outChannels, n: g.patch, depth: roundUp(columns, variant.kStep),
                                  computeUnits: cl.info.computeUnits)
        #expect(split.slices > 1, "a 4×18 filter gradient over \(columns) pixels should split on \(cl.info.name)")
        let v = Operands(g, seed: 51)
        let x = try Tensor(v.x, shape: g.inputShape, on: device)
        let dy = try Tensor(v.dy, shape: g.outputShape, on: device)
        let dw = try Tensor(uninitialized: g.weightShape, on: device)
        try cl.conv2dBackwardWeight(g, dy: dy, x: x, dw: dw, kernel: kernel)
        expectClose(try dw.toArray(), Reference.conv2dBackwardWeight(v.dy.map(Double.init), input: v.x.map(Double.init), g),
                    tolerance: 3e-5, "\(kernel) split dw")
    }

    @Test("gradients match finite differences", arguments: TestBackend.allCases)
    func finiteDifferenceCheck(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let g = ConvGeometry(batch: 2, inChannels: 2, height: 5, width: 4, outChannels: 3, kernelHeight: 3,
                             kernelWidth: 2, stride: 2, padding: 1)
        let v = Operands(g, seed: 60)
        /// L = Σ y · dy, whose gradients are the backward ops applied to dy.
        func loss(x: [Float], weight: [Float], bias: [Float]) throws -> Double {
            let y = try conv2d(Tensor(x, shape: g.inputShape, on: device),
                               weight: Tensor(weight, shape: g.weightShape, on: device),
                               bias: Tensor(bias, shape: [g.outChannels], on: device), stride: 2, padding: 1)
            return zip(try y.toArray(), v.dy).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let dy = try Tensor(v.dy, shape: g.outputShape, on: device)
        let dx = try conv2dBackwardInput(dy, weight: Tensor(v.weight, shape: g.weightShape, on: device),
                                         inputShape: g.inputShape, stride: 2, padding: 1)
        let dw = try conv2dBackwardWeight(dy, input: Tensor(v.x, shape: g.inputShape, on: device),
                                          weightShape: g.weightShape, stride: 2, padding: 1)
        let numericX = try finiteDifferences(v.x, step: 1e-2) { try loss(x: $0, weight: v.weight, bias: v.bias) }
        let numericW = try finiteDifferences(v.weight, step: 1e-2) { try loss(x: v.x, weight: $0, bias: v.bias) }
        let numericB = try finiteDifferences(v.bias, step: 1e-2) { try loss(x: v.x, weight: v.weight, bias: $0) }
        expectClose(try dx.toArray(), numericX, tolerance: 1e-3, "dx vs finite differences")
        expectClose(try dw.toArray(), numericW, tolerance: 1e-3, "dw vs finite differences")
        expectClose(try conv2dBackwardBias(dy).toArray(), numericB, tolerance: 1e-3, "dbias vs finite differences")
    }

    @Test("bad input is one clear error")
    func badInput() throws {
        let x = try Tensor.zeros([1, 3, 7, 5], on: .cpu), weight = try Tensor.zeros([2, 3, 3, 3], on: .cpu)
        let dy = try Tensor.zeros([1, 2, 5, 3], on: .cpu)
        expectError(.shapeMismatch(op: "conv2d", detail: "x must be 4-D (N, C, H, W), got shape [3, 7, 5]")) {
            _ = try conv2d(Tensor.zeros([3, 7, 5], on: .cpu), weight: weight, bias: nil)
        }
        expectError(.shapeMismatch(op: "conv2d", detail: "weight must be 4-D (O, C, KH, KW), got shape [2, 27]")) {
            _ = try conv2d(x, weight: Tensor.zeros([2, 27], on: .cpu), bias: nil)
        }
        expectError(.shapeMismatch(op: "conv2d", detail: "x [1, 3, 7, 5] has C=3 but weight [2, 4, 3, 3] expects 4")) {
            _ = try conv2d(x, weight: Tensor.zeros([2, 4, 3, 3], on: .cpu), bias: nil)
        }
        expectError(.shapeMismatch(op: "conv2d", detail: "kernel 9x3 of weight [2, 3, 9, 3] is larger than the padded"
                                    + " input 7x5 (x [1, 3, 7, 5], padding 0)")) {
            _ = try conv2d(x, weight: Tensor.zeros([2, 3, 9, 3], on: .cpu), bias: nil)
        }
        expectError(.shapeMismatch(op: "conv2d", detail: "x [1, 3, 0, 5] and weight [2, 3, 3, 3] may have no zero"
                                    + " dimension but the batch")) {
            _ = try conv2d(Tensor.zeros([1, 3, 0, 5], on: .cpu), weight: weight, bias: nil)
        }
        expectError(.shapeMismatch(op: "conv2d", detail: "bias must have shape [O] = [2] for weight [2, 3, 3, 3],"
                                    + " got [3]")) {
            _ = try conv2d(x, weight: weight, bias: Tensor.zeros([3], on: .cpu))
        }
        expectError(.invalidArgument("conv2d: stride must be ≥ 1, got 0")) {
            _ = try conv2d(x, weight: weight, bias: nil, stride: 0)
        }
        expectError(.invalidArgument("conv2d: padding must be ≥ 0, got -1")) {
            _ = try conv2d(x, weight: weight, bias: nil, padding: -1)
        }
        expectError(.shapeMismatch(op: "conv2dBackwardInput", detail: "dy [1, 2, 5, 3] is not the output shape"
                                    + " [1, 2, 7, 5] of x [1, 3, 7, 5] convolved with weight [2, 3, 3, 3] (stride 1,"
                                    + " padding 1)")) {
            _ = try conv2dBackwardInput(dy, weight: weight, inputShape: [1, 3, 7, 5], padding: 1)
        }
        expectError(.shapeMismatch(op: "conv2dBackwardInput", detail: "x must be 4-D (N, C, H, W), got shape [3, 7, 5]")) {
            _ = try conv2dBackwardInput(dy, weight: weight, inputShape: [3, 7, 5])
        }
        expectError(.shapeMismatch(op: "conv2dBackwardWeight", detail: "dy [1, 2, 5, 3] is not the output shape"
                                    + " [1, 2, 3, 2] of x [1, 3, 7, 5] convolved with weight [2, 3, 3, 3] (stride 2,"
                                    + " padding 0)")) {
            _ = try conv2dBackwardWeight(dy, input: x, weightShape: [2, 3, 3, 3], stride: 2)
        }
        expectError(.shapeMismatch(op: "conv2dBackwardBias", detail: "dy must be 4-D, got shape [2, 15]")) {
            _ = try conv2dBackwardBias(Tensor.zeros([2, 15], on: .cpu))
        }
    }

    @Test("operands on different devices are one clear error")
    func deviceMismatch() throws {
        guard let device = try TestBackend.opencl.open() else { return }
        let x = try Tensor.zeros([1, 3, 7, 5], on: .cpu), weight = try Tensor.zeros([2, 3, 3, 3], on: device)
        expectError(.deviceMismatch(op: "conv2d", detail: "\(x) and \(weight)")) {
            _ = try conv2d(x, weight: weight, bias: nil)
        }
        let dy = try Tensor.zeros([1, 2, 5, 3], on: device)
        expectError(.deviceMismatch(op: "conv2dBackwardWeight", detail: "\(dy) and \(x)")) {
            _ = try conv2dBackwardWeight(dy, input: x, weightShape: [2, 3, 3, 3])
        }
    }
}
