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
