import Testing
@testable import Simile

@Suite struct ReduceTests {
    static let shapes: [[Int]] = [[1], [7], [33, 257], [257, 33], [3, 7, 5], [257, 257], [2, 40000]]

    @Test("sum and mean of all elements match float64", arguments: TestBackend.allCases, shapes)
    func wholeTensor(backend: TestBackend, shape: [Int]) throws {
        guard let device = try backend.open() else { return }
        let values = randomValues(shape.reduce(1, *), seed: 20)
        let x = try Tensor(values, shape: shape, on: device)
        let total = values.reduce(0.0) { $0 + Double($1) }
        expectClose(try sum(x).toArray(), [total], tolerance: 1e-5, "sum \(shape)")
        expectClose(try mean(x).toArray(), [total / Double(values.count)], tolerance: 1e-6, "mean \(shape)")
    }

    @Test("sum and mean along each axis match float64", arguments: TestBackend.allCases, shapes)
    func alongAxis(backend: TestBackend, shape: [Int]) throws {
        guard let device = try backend.open() else { return }
        let values = randomValues(shape.reduce(1, *), seed: 21)
        let x = try Tensor(values, shape: shape, on: device)
        for axis in shape.indices {
            let outer = shape[..<axis].reduce(1, *), n = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
            let expected = Reference.sumAxis(values.map(Double.init), outer: outer, n: n, inner: inner)
            let summed = try sum(x, axis: axis)
            var reducedShape = shape
            reducedShape.remove(at: axis)
            #expect(summed.shape == reducedShape)
            expectClose(try summed.toArray(), expected, tolerance: 1e-5, "sum \(shape) axis \(axis)")
            expectClose(try mean(x, axis: axis).toArray(), expected.map { $0 / Double(n) }, tolerance: 1e-6,
                        "mean \(shape) axis \(axis)")
        }
    }

    @Test("a bad axis is one clear error")
    func badAxis() throws {
        let x = try Tensor.zeros([2, 3], on: .cpu)
        expectError(.invalidArgument("sum: axis 2 is out of range for shape [2, 3]")) { _ = try sum(x, axis: 2) }
        expectError(.invalidArgument("mean of an empty tensor [0]")) { _ = try mean(Tensor.zeros([0], on: .cpu)) }
    }
}

/// The reductions in work-groups of 256 (GPU devices' shape, `group_sum.cl`'s tree) on whatever OpenCL device the
/// machine has, so that CI's CPU device runs the tree paths too: sums, L2 normalisation and the LARS norms.
@Suite struct GroupTreeReductionTests {
    @Test("sums, L2 normalisation, a loss's finite check and LARS agree with the CPU in groups of 256")
    func treePaths() throws {
        guard let shared = try TestBackend.opencl.open(), let info = shared.openCLInfo else { return }
        let device = Device(.opencl(try OpenCLBackend(info, reductionGroupSize: 256)))
        #expect(device.openCL?.shapes.reductionGroupSize == 256)
        let values = randomValues(300 * 37, seed: 22)
        let x = try Tensor(values, shape: [300, 37], on: device), host = try Tensor(values, shape: [300, 37], on: .cpu)
        expectClose(try sum(x).toArray(), [values.reduce(0.0) { $0 + Double($1) }], tolerance: 1e-4, "sum")
        expectClose(try l2Normalize(x).y.toArray(), try l2Normalize(host).y.toArray().map(Double.init), tolerance: 1e-6, "l2")
        let loss = try contrastiveLoss(x, method: .ntxent, temperature: 0.5).value()
        expectClose([loss], [Double(try contrastiveLoss(host, method: .ntxent, temperature: 0.5).value())],
                    tolerance: 1e-5, "NT-Xent with its finite check")
        let results = try [device, .cpu].map { target -> [Float] in
            var generator = SeededGenerator(seed: 23)
            let layer = try Linear(37, 300, on: target, generator: &generator)
            let input = try Tensor(randomValues(2 * 37, seed: 24), shape: [2, 37], on: target)
            _ = try layer.recordedForward(input).record.backward(Tensor(randomValues(600, seed: 25), shape: [2, 300], on: target))
            try Optimizer(.lars(), layer.namedParameters(), learningRate: 1, weightDecay: 0.01).step()
            return try layer.weight.value.toArray()
        }
        expectClose(results[0], results[1].map(Double.init), tolerance: 1e-6, "LARS")
    }
}
