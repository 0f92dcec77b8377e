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
        let limit = device.openCLInfo.map(MemoryLimit.init(openCL:)) ?? .host
        // The first failed in an Array allocation inside `Tensor.uniform` (Fatal error, exit 134).
        for make in [{ try Tensor.uniform([100_000_000, 100_000_000], seed: 1, on: device) },
                     { try Tensor.zeros([100_000_000, 100_000_000], on: device) }] {
            expectError(.outOfMemory("tensor [100000000, 100000000] needs 40000000000000000 bytes; \(limit.reason)")) {
                _ = try make()
            }
        }
        expectError(.outOfMemory("tensor [3000000000, 3000000000] needs more than \(Int.max) bytes")) {
            _ = try Tensor.normal([3_000_000_000, 3_000_000_000], seed: 1, on: device)
        }
        #expect(limit.reason.contains(device.openCLInfo == nil ? "this machine has" : device.identifier))
    }

    @Test("element counts beyond Int are one error wherever a shape is given, not an overflow trap")
    func elementCountOverflow() throws {
        let huge = [4_294_967_296, 4_294_967_296]
        let tooMany = SimileError.invalidArgument("invalid tensor shape \(huge): more than \(Int.max) elements (the 64-bit limit)")
        for backend in TestBackend.allCases {
            guard let device = try backend.open() else { continue }
            expectError(tooMany) { _ = try Tensor.zeros(huge, on: device) }
            expectError(tooMany) { _ = try Tensor.uniform(huge, seed: 1, on: device) }
        }
        expectError(tooMany) { _ = try Tensor([1], shape: huge, on: .cpu) }
        expectError(.shapeMismatch(op: "reshape", detail: "cannot view [1] as \(huge)")) {
            _ = try Tensor.zeros([1], on: .cpu).reshaped(huge)
        }
        #expect(try Tensor.zeros(huge + [0], on: .cpu).count == 0)
    }

    @Test("host and device allocators refuse impossible byte counts themselves")
    func allocatorLimits() throws {
        expectError(.outOfMemory("a scratch buffer needs more than \(Int.max) bytes")) { _ = try HostBuffer(count: Int.max) }
        expectError(.invalidArgument("a scratch buffer: negative element count -1")) { _ = try HostBuffer(count: -1) }
        expectError(.outOfMemory("a scratch buffer needs \(Int.max) bytes; \(MemoryLimit.host.reason)")) {
            try MemoryLimit.host.check(Int.max, for: "a scratch buffer")
        }
        expectError(.outOfMemory("cannot allocate \(Int.max) bytes: more than any device can hold")) {
            _ = try SizeBucketedCache<Int>.bucket(Int.max)
        }
        #expect(try SizeBucketedCache<Int>.bucket(1) == 256 && SizeBucketedCache<Int>.bucket(257) == 512)
        guard let device = try TestBackend.opencl.open(), let cl = device.openCL else { return }
        let limit = MemoryLimit(openCL: cl.info)
        #expect(limit.bytes == min(cl.info.globalMemoryBytes, cl.info.maxAllocationBytes, Int(Int32.max) * 4))
        expectError(.outOfMemory("a scratch buffer needs \(Int.max) bytes; \(limit.reason)")) {
            _ = try cl.pool.buffer(bytes: Int.max)
        }
    }
}
