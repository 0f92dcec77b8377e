import Foundation
import Testing
@testable import Simile

/// The tuner's search space, its cache file and how a backend uses a tuning.
@Suite struct GemmTuningTests {
    @Test("every configuration of the search space matches float64, whole and split, with every transpose",
          arguments: GemmKernel.allCases)
    func searchSpaceIsCorrect(kernel: GemmKernel) throws {
        guard let device = try TestBackend.opencl.open(), let cl = device.openCL else { return }
        let space = GemmSearchSpace.compiled(kernel, within: GemmDeviceLimits(cl.info))
        #expect(space.count >= 6, "\(kernel): \(space.count) configurations on \(cl.info.name)")
        let (m, n, k) = (37, 45, 70)
        let a = randomValues(m * k, seed: 11), b = randomValues(k * n, seed: 12)
        for parameters in space {
            for (transposeA, transposeB) in GemmTests.transposes {
                let aShape = transposeA ? [k, m] : [m, k], bShape = transposeB ? [n, k] : [k, n]
                let expected = Reference.gemm(a.map(Double.init), aShape, b.map(Double.init), bShape,
                                              [Double](repeating: 0, count: m * n), transposeA: transposeA,
                                              transposeB: transposeB, alpha: 1, beta: 0)
                for slices in [1, 3] {
                    let c = try Tensor([Float](repeating: .nan, count: m * n), shape: [m, n], on: device)
                    try gemm(Tensor(a, shape: aShape, on: device), Tensor(b, shape: bShape, on: device), into: c,
                             transposeA: transposeA, transposeB: transposeB, alpha: 1, beta: 0,
                             variant: GemmVariant(parameters), slices: slices)
                    expectClose(try c.toArray(), expected, tolerance: 2e-5,
                                "\(parameters) tA=\(transposeA) tB=\(transposeB) in \(slices) slices")
                }
            }
        }
    }

    @Test("the built-in parameters are points of the search space, and parameters outside it are not")
    func defaultsInSpace() throws {
        guard let device = try TestBackend.opencl.open(), let cl = device.openCL else { return }
        for kernel in GemmKernel.allCases {
            #expect(GemmSearchSpace.contains(.defaults(kernel, device: cl.info), within: GemmDeviceLimits(cl.info)), "\(kernel)")
        }
        var odd = GemmParameters.defaults(.tiledGPU, device: cl.info)
        odd.tileRows = 60
        #expect(!GemmSearchSpace.contains(odd, within: GemmDeviceLimits(cl.info)))
        #expect(!GemmSearchSpace.contains(GemmParameters.defaults(.blockedCPU, device: cl.info).splitting(toWaves: 3),
                                          within: GemmDeviceLimits(cl.info)))
    }

    @Test("the tuner checks, times candidates on the workload's shape classes, and leaves the tuning as it was")
    func tunerOnWorkload() throws {
        guard let shared = try TestBackend.opencl.open(), let info = shared.openCLInfo else { return }
        // A backend of its own, so that the tuner's candidates never reach the shared device other tests use.
        let backend = try OpenCLBackend(info, tuning: GemmTuning())
        let device = Device(.opencl(backend))
        let tuner = try GemmTuner(device, repeats: 1)
        let defaults = GemmParameters.defaults(.preferred(for: info.type), device: info)
        #expect(try tuner.check(defaults) <= GemmTuner.tolerance)
        let wide = try (Tensor.normal([64, 64], seed: 1, on: device), Tensor.normal([64, 64], seed: 2, on: device))
        let long = try (Tensor.normal([8, 4096], seed: 3, on: device), Tensor.normal([4096, 8], seed: 4, on: device))
        let workload = {
            _ = try matmul(wide.0, wide.1)
            _ = try matmul(long.0, long.1)
        }
        let shapes = try tuner.shapes(of: workload)
        #expect(shapes[.wide]?.keys.contains(GemmShape(m: 64, n: 64, k: 64)) == true, "\(shapes)")
        #expect(shapes[.longK]?.count == 1, "\(shapes)")
        var lines: [String] = []
        let winners = try tuner.tune(workload) { lines.append($0) }
        #expect(Set(winners.keys) == [.wide, .longK])
        for (shapeClass, winner) in winners {
            #expect(winner.tunedSeconds <= winner.defaultSeconds && winner.tunedSeconds > 0, "\(shapeClass)")
            #expect(GemmSearchSpace.contains(winner.parameters, within: GemmDeviceLimits(info)), "\(shapeClass)")
        }
        #expect(backend.tuning == GemmTuning())
        #expect(lines.contains { $0.hasSuffix("(built-in)") }, "\(lines)")
        #expect(throws: SimileError.self) { try GemmTuner(.cpu) }
    }

    @Test("a candidate displaces the incumbent only when it is faster in every run")
    func winnerRule() {
        let (a, b, c) = (GemmParameters.blocked(rows: 4, columns: 16, vectorWidth: 16, splitWaves: 0),
                         GemmParameters.blocked(rows: 6, columns: 16, vectorWidth: 16, splitWaves: 0),
                         GemmParameters.blocked(rows: 8, columns: 16, vectorWidth: 16, splitWaves: 0))
        let overlapping: [GemmParameters: GemmTuner.Timing] = [a: .init(runs: [1.0, 1.2, 1.1]),
                                                               b: .init(runs: [0.9, 1.05, 0.95])]
        #expect(GemmTuner.winner(overlapping, over: a) == a)
        #expect(GemmTuner.winner(overlapping, over: b) == b)
        let dominated: [GemmParameters: GemmTuner.Timing] = [a: .init(runs: [1.0, 1.2, 1.1]),
                                                             b: .init(runs: [0.9, 0.95, 0.92]),
                                                             c: .init(runs: [0.97, 0.98, 0.99])]
        #expect(GemmTuner.winner(dominated, over: a) == b)
    }

    @Test("a record round-trips through its file and a backend built with it uses its parameters")
    func roundTrip() throws {
        guard let device = try TestBackend.opencl.open(), let cl = device.openCL else { return }
        let wide = GemmSearchSpace.compiled(.blockedCPU, within: GemmDeviceLimits(cl.info))[0].splitting(toWaves: 8)
        let longK = GemmSearchSpace.compiled(.tiledGPU, within: GemmDeviceLimits(cl.info))[0].splitting(toWaves: 1)
        let record = GemmTuningRecord(key: GemmTuningCache.key(for: cl.info), workload: "test", tunedAt: Date(timeIntervalSince1970: 0),
                                      classes: [.wide: .init(parameters: wide, defaultSeconds: 2, tunedSeconds: 1),
                                                .longK: .init(parameters: longK, defaultSeconds: 3, tunedSeconds: 1)])
        let scratch = try Scratch()
        let file = scratch.path("tuning.json")
        try writeFileAtomically([UInt8](try record.encoded()), to: file)
        let tuning = GemmTuning(parameters: [.wide: wide, .longK: longK])
        #expect(GemmTuningCache.status(at: file, for: cl.info) == .tuned(record, tuning))

        let tuned = try OpenCLBackend(cl.info, tuning: tuning)
        #expect(tuned.gemmVariant(m: 64, n: 64, k: 64).parameters == wide)
        #expect(tuned.gemmVariant(m: 64, n: 9, k: 4096).parameters == longK)
        #expect(tuned.gemmVariant(m: 64, n: 9, k: 4096, forcing: .blockedCPU).parameters
                == .defaults(.blockedCPU, device: cl.info))
        // The tuned variants compute the same products as the reference, through `gemm`'s default path.
        let tunedDevice = Device(.opencl(tuned))
        for (m, n, k) in [(30, 40, 50), (5, 9, 3000)] {
            let a = randomValues(m * k, seed: 13), b = randomValues(k * n, seed: 14)
            let c = try Tensor(uninitialized: [m, n], on: tunedDevice)
            try gemm(Tensor(a, shape: [m, k], on: tunedDevice), Tensor(b, shape: [k, n], on: tunedDevice), into: c)
            expectClose(try c.toArray(), Reference.gemm(a.map(Double.init), [m, k], b.map(Double.init), [k, n],
                                                        [Double](repeating: 0, count: m * n), transposeA: false,
                                                        transposeB: false, alpha: 1, beta: 0),
                        tolerance: 2e-5, "tuned \(m)x\(n)x\(k)")
        }
    }

    @Test("a stale record is ignored with the reason: another device, driver, kernel source or format")
    func staleRecords() throws {
        guard let device = try TestBackend.opencl.open(), let cl = device.openCL else { return }
        let record = GemmTuningRecord(key: GemmTuningCache.key(for: cl.info), workload: "test", tunedAt: Date(), classes: [:])
        func status(_ change: (inout GemmTuningRecord) -> Void) throws -> GemmTuningCache.Status {
            var changed = record
            change(&changed)
            return GemmTuningCache.decode(try changed.encoded(), for: cl.info)
        }
        #expect(try status { $0.device = "another card" } == .stale("it was tuned on 'another card'"))
        #expect(try status { $0.driver = "0.1" } == .stale("it was tuned with driver 0.1, this device has \(cl.info.driverVersion)"))
        #expect(try status { $0.kernelSource = "0" } == .stale("the GEMM kernels have changed since it was tuned"))
        #expect(try status { $0.format = 99 } == .stale("it has format 99, this build reads 1"))
    }

    @Test("a corrupt record is refused with one reason, never used")
    func corruptRecords() throws {
        guard let device = try TestBackend.opencl.open(), let cl = device.openCL else { return }
        let good = GemmTuningRecord(key: GemmTuningCache.key(for: cl.info), workload: "test", tunedAt: Date(),
                                    classes: [.wide: .init(parameters: .defaults(.blockedCPU, device: cl.info),
                                                           defaultSeconds: 1, tunedSeconds: 1)])
        let text = String(decoding: try good.encoded(), as: UTF8.self)
        let cases: [(String, String)] = [
            ("", "it is not a tuning record"),
            ("{", "it is not a tuning record"),
            ("[1, 2]", "it is not a tuning record"),
            (String(text.prefix(text.count / 2)), "it is not a tuning record"),
            (text.replacingOccurrences(of: "\"tileRows\" : 8", with: "\"tileRows\" : 5")
                .replacingOccurrences(of: "\"tileRows\" : 4", with: "\"tileRows\" : 5")
                .replacingOccurrences(of: "\"tileRows\" : 6", with: "\"tileRows\" : 5"),
             "parameters (blocked-cpu 5×"),
            (text.replacingOccurrences(of: "\"wide\"", with: "\"tall\""), "unknown shape class 'tall'"),
            (text.replacingOccurrences(of: "\"blocked-cpu\"", with: "\"warp-gpu\""), "it is not a tuning record"),
            (text.replacingOccurrences(of: "\"splitWaves\" : 2", with: "\"splitWaves\" : \"many\""),
             "it is not a tuning record (classes.wide.parameters.splitWaves"),
        ]
        for (bytes, reason) in cases {
            let status = GemmTuningCache.decode(Data(bytes.utf8), for: cl.info)
            guard case .corrupt(let why) = status else {
                Issue.record("\(bytes.prefix(60)): \(status), expected corrupt")
                continue
            }
            #expect(why.contains(reason), "\(why) should contain \(reason)")
        }
    }

    @Test("the cache file: absent, a directory, a FIFO (read without blocking) or too large is not used")
    func specialFiles() throws {
        guard let device = try TestBackend.opencl.open(), let cl = device.openCL else { return }
        let scratch = try Scratch()
        let missing = scratch.path("none.json")
        #expect(GemmTuningCache.status(at: missing, for: cl.info) == .absent)
        let directory = scratch.path("dir.json")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        #expect(GemmTuningCache.status(at: directory, for: cl.info) == .corrupt("it is a directory, not a file"))
        let fifo = scratch.path("fifo.json")
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(GemmTuningCache.status(at: fifo, for: cl.info) == .corrupt("it is a FIFO (named pipe), not a file"))
        let large = scratch.path("large.json")
        try writeFileAtomically([UInt8](repeating: 32, count: GemmTuningCache.largestRecord + 1), to: large)
        guard case .corrupt(let why) = GemmTuningCache.status(at: large, for: cl.info) else {
            Issue.record("a file larger than a record was read")
            return
        }
        #expect(why.contains("more than a tuning record's"))
    }
}
