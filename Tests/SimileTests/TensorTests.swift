import Testing
@testable import Simile

@Suite struct TensorTests {
    @Test("values round-trip between host and device, and across devices", arguments: TestBackend.allCases)
    func roundTrip(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let values = randomValues(1000, seed: 40)
        let tensor = try Tensor(values, shape: [10, 100], on: device)
        #expect(tensor.strides == [100, 1])
        #expect(try tensor.toArray() == values)
        #expect(try tensor.to(.cpu).toArray() == values)
        #expect(try tensor.to(device).toArray() == values)
        #expect(try tensor.reshaped([1000]).toArray() == values)
        #expect(try Tensor.full([3], 2.5, on: device).toArray() == [2.5, 2.5, 2.5])
    }

    @Test("seeded initialisation gives identical values on every backend", arguments: TestBackend.allCases)
    func seededInit(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        #expect(try Tensor.uniform([7, 33], low: -1, high: 1, seed: 7, on: device).toArray()
                == Tensor.uniform([7, 33], low: -1, high: 1, seed: 7, on: .cpu).toArray())
        let normal = try Tensor.normal([10000], mean: 1, standardDeviation: 2, seed: 8, on: device).doubles()
        let mean = normal.reduce(0, +) / 10000
        let variance = normal.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 9999
        #expect(abs(mean - 1) < 0.06 && abs(variance.squareRoot() - 2) < 0.06, "mean \(mean), variance \(variance)")
        #expect(try Tensor.uniform([4], seed: 1, on: device).toArray() != Tensor.uniform([4], seed: 2, on: device).toArray())
    }

    @Test("bad shapes and operands on different devices are one clear error")
    func badInput() throws {
        expectError(.shapeMismatch(op: "Tensor", detail: "3 values do not fill shape [2, 2]")) {
            _ = try Tensor([1, 2, 3], shape: [2, 2], on: .cpu)
        }
        expectError(.shapeMismatch(op: "reshape", detail: "cannot view [2, 2] as [3]")) {
            _ = try Tensor.zeros([2, 2], on: .cpu).reshaped([3])
        }
        expectError(.invalidArgument("invalid tensor shape [2, -1]: dimensions must be ≥ 0")) {
            _ = try Tensor.zeros([2, -1], on: .cpu)
        }
        guard let cl = try TestBackend.opencl.open() else { return }
        let a = try Tensor.zeros([2], on: .cpu), b = try Tensor.zeros([2], on: cl)
        expectError(.deviceMismatch(op: "add", detail: "\(a) and \(b)")) { _ = try add(a, b) }
    }

    @Test("an impossible allocation is one out-of-memory error, not a crash", arguments: TestBackend.allCases)
    func outOfMemory(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        do {
            _ = try Tensor.zeros([1 << 22, 1 << 20], on: device)
            Issue.record("a 16 TiB tensor was allocated")
        } catch let SimileError.outOfMemory(detail) {
            #expect(detail.contains("cannot allocate"), "\(detail)")
        }
    }
}
