import Testing
@testable import Simile

@Suite struct InPlaceTests {
    @Test("copy, lerp and scaleAdd match float64, tails included", arguments: TestBackend.allCases, ElementwiseTests.counts)
    func matchFloat64(backend: TestBackend, count: Int) throws {
        guard let device = try backend.open() else { return }
        let a = randomValues(count, seed: 20), b = randomValues(count, seed: 21)
        let (a64, b64) = (a.map(Double.init), b.map(Double.init))
        let x = try Tensor(a, shape: [count], on: device)

        let copied = try Tensor.zeros([count], on: device)
        try copy(x, into: copied)
        #expect(try copied.toArray() == a, "copy")

        let target = try Tensor(b, shape: [count], on: device)
        try lerp(target, toward: x, momentum: 0.9)
        expectClose(try target.toArray(), zip(b64, a64).map { 0.9 * $0 + (1 - 0.9) * $1 }, tolerance: 1e-6, "lerp")

        let y = try Tensor(b, shape: [count], on: device)
        try scaleAdd(y, scale: -0.75, plus: x, times: 1.5)
        expectClose(try y.toArray(), zip(b64, a64).map { -0.75 * $0 + 1.5 * $1 }, tolerance: 1e-6, "scaleAdd")
        #expect(try x.toArray() == a, "the source is left as it was")
    }

    @Test("momentum 1 keeps the target and momentum 0 copies the online tensor, exactly", arguments: TestBackend.allCases)
    func lerpEndpoints(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let a = randomValues(37, seed: 22), b = randomValues(37, seed: 23)
        let online = try Tensor(a, shape: [37], on: device), target = try Tensor(b, shape: [37], on: device)
        try lerp(target, toward: online, momentum: 1)
        #expect(try target.toArray() == b)
        try lerp(target, toward: online, momentum: 0)
        #expect(try target.toArray() == a)
    }

    @Test("the source may be the destination", arguments: TestBackend.allCases)
    func aliasing(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let a = randomValues(35, seed: 24)
        let x = try Tensor(a, shape: [5, 7], on: device)
        try copy(x, into: x)
        #expect(try x.toArray() == a, "copy onto itself")
        try lerp(x, toward: x, momentum: 0.9)
        expectClose(try x.toArray(), a.map(Double.init), tolerance: 1e-6, "lerp toward itself")
        try scaleAdd(x, scale: 0.5, plus: x, times: 2)
        expectClose(try x.toArray(), a.map { 2.5 * Double($0) }, tolerance: 1e-6, "scaleAdd of itself")
    }

    @Test("mismatched shapes, devices and bad scalars are each one error, before anything changes")
    func errors() throws {
        let a = try Tensor.full([2, 3], 1, on: .cpu), b = try Tensor.zeros([3, 2], on: .cpu)
        expectError(.shapeMismatch(op: "copy", detail: "[2, 3] vs [3, 2]")) { try copy(a, into: b) }
        expectError(.shapeMismatch(op: "lerp", detail: "[2, 3] vs [3, 2]")) { try lerp(a, toward: b, momentum: 0.5) }
        expectError(.shapeMismatch(op: "scaleAdd", detail: "[2, 3] vs [3, 2]")) { try scaleAdd(a, scale: 1, plus: b, times: 1) }
        let c = try Tensor.zeros([2, 3], on: .cpu)
        for m: Float in [-0.1, 1.5, .nan] {
            expectError(.invalidArgument("lerp: momentum must be in [0, 1], got \(m)")) { try lerp(a, toward: c, momentum: m) }
        }
        expectError(.invalidArgument("scaleAdd: a must be finite, got inf")) { try scaleAdd(a, scale: .infinity, plus: c, times: 1) }
        expectError(.invalidArgument("scaleAdd: b must be finite, got nan")) { try scaleAdd(a, scale: 1, plus: c, times: .nan) }
        #expect(try a.toArray() == [Float](repeating: 1, count: 6))
        guard let cl = try TestBackend.opencl.open() else { return }
        let d = try Tensor.zeros([2, 3], on: cl)
        expectError(.deviceMismatch(op: "copy", detail: "\(a) and \(d)")) { try copy(a, into: d) }
        expectError(.deviceMismatch(op: "lerp", detail: "\(d) and \(a)")) { try lerp(d, toward: a, momentum: 0.5) }
        expectError(.deviceMismatch(op: "scaleAdd", detail: "\(a) and \(d)")) { try scaleAdd(a, scale: 1, plus: d, times: 1) }
    }
}
