import Foundation

/// One GEMM of a workload: C is M×N, summed over packed depth K.
public struct GemmShape: Hashable, Sendable, CustomStringConvertible {
    public let m, n, k: Int
    public var description: String { "\(m)×\(n)×\(k)" }
    var shapeClass: GemmShapeClass { GemmShapeClass(m: m, n: n, k: k) }
}

/// The GEMMs an OpenCL backend launches while it is set (`OpenCLBackend.gemmShapeLog`), each with how many times.
final class GemmShapeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [GemmShape: Int] = [:]

    func record(_ shape: GemmShape) {
        lock.withLock { counts[shape, default: 0] += 1 }
    }

    var recorded: [GemmShape: Int] { lock.withLock { counts } }
}

/// Searches `GemmSearchSpace` for a workload on one OpenCL device, as CLBlast's and MIOpen's tuners do: every
/// candidate is first checked against float64 on small shapes (a wrong one is rejected, never timed); the correct
/// ones are then timed on the workload itself, as the device time of all its kernels in one step (the GEMMs, and
/// the packing and split-K sums their shapes change) with the candidate set for one shape class. For each class
/// present in the workload, the compiled shape is searched first at the defaults' split-K target, then the
/// winner's split-K target, and the choice is timed once more beside the built-in parameters; the classes are
/// tuned in turn, each with the others at their best so far. Candidates are timed round-robin, `repeats` rounds
/// after an untimed one (which compiles), so that a machine whose speed drifts favours none of them, and a
/// candidate displaces the incumbent only when it is faster in every run (`winner`).
public struct GemmTuner {
    public let device: Device
    public let repeats: Int
    let backend: OpenCLBackend

    /// A tuner for `device`, which must be an OpenCL device (the CPU backend's GEMM is OpenBLAS's).
    public init(_ device: Device, repeats: Int = 3) throws {
        guard case .opencl(let backend) = device.backend else {
            throw SimileError.invalidArgument("the CPU backend's GEMM is OpenBLAS's: there is nothing to tune on "
                                              + "\(device); tune an OpenCL device (--device opencl or opencl:N)")
        }
        guard repeats >= 1 else { throw SimileError.invalidArgument("the tuner needs at least 1 timed run, got \(repeats)") }
        self.device = device
        self.backend = backend
        self.repeats = repeats
    }

    /// A line of progress: a candidate and its time, or why it was rejected.
    public typealias Progress = (String) -> Void

    /// The GEMMs `workload` launches on this device, by shape class, with their counts.
    public func shapes(of workload: () throws -> Void) throws -> [GemmShapeClass: [GemmShape: Int]] {
        let log = GemmShapeLog()
        backend.gemmShapeLog = log
        defer { backend.gemmShapeLog = nil }
        try workload()
        try backend.synchronize()
        return Dictionary(grouping: log.recorded, by: { $0.key.shapeClass })
            .mapValues { Dictionary(uniqueKeysWithValues: $0.map { ($0.key, $0.value) }) }
    }

    /// The winner of each shape class `workload` launches, with the step's device time at the class's defaults
    /// and at the winner. The device's tuning is left as it was.
    public func tune(_ workload: () throws -> Void,
                     progress: Progress) throws -> [GemmShapeClass: GemmTuningRecord.Winner] {
        let defaults = GemmParameters.defaults(.preferred(for: backend.info.type), device: backend.info)
        var correct: [GemmParameters] = []
        for candidate in GemmSearchSpace.compiled(defaults.kernel, within: GemmDeviceLimits(backend.info))
            .map({ $0.splitting(toWaves: defaults.splitWaves) }) {
            let error = try check(candidate)
            if error <= Self.tolerance {
                correct.append(candidate)
            } else if candidate == defaults {
                throw SimileError.invalidArgument("the built-in GEMM parameters (\(defaults)) miss float64 by \(error) "
                                                  + "on \(device): this device's OpenCL results cannot be trusted, "
                                                  + "so nothing is tuned (`simile check` shows which ops fail)")
            } else {
                progress("rejected \(candidate): max relative error \(error) against float64 > \(Self.tolerance)")
            }
        }
        let saved = backend.tuning
        defer { backend.tuning = saved }
        let shapes = try self.shapes(of: workload)
        var best = GemmTuning(parameters: shapes.mapValues { _ in defaults })
        var winners: [GemmShapeClass: GemmTuningRecord.Winner] = [:]
        for shapeClass in GemmShapeClass.allCases {
            guard let classShapes = shapes[shapeClass] else { continue }
            progress("\(shapeClass.rawValue): \(classShapes.count) GEMM shapes, "
                     + "\(classShapes.values.reduce(0, +)) launches per step")
            func round(_ candidates: [GemmParameters], _ title: String) throws -> [GemmParameters: Timing] {
                progress("  \(title)")
                return try time(candidates, for: shapeClass, in: best, workload, progress)
            }
            let shapesRound = try round(correct, "compiled shapes:")
            let compiled = Self.winner(shapesRound, over: defaults)
            let splitsRound = try round(GemmSearchSpace.splitWaves.map(compiled.splitting), "split-K targets:")
            var chosen = Self.winner(splitsRound, over: compiled)
            var seconds = (shapesRound[defaults]!.median, shapesRound[defaults]!.median)
            if chosen != defaults {
                let confirmation = try round([defaults, chosen], "the choice against the built-in parameters:")
                chosen = Self.winner(confirmation, over: defaults)
                seconds = (confirmation[defaults]!.median, confirmation[chosen]!.median)
            }
            progress("  \(chosen == defaults ? "kept the built-in parameters" : "chose \(chosen)")")
            best.parameters[shapeClass] = chosen
            winners[shapeClass] = .init(parameters: chosen, defaultSeconds: seconds.0, tunedSeconds: seconds.1)
        }
        return winners
    }

    /// One candidate's timed steps (device seconds).
    struct Timing {
        let runs: [Double]
        var median: Double { runs.sorted()[runs.count / 2] }
    }

    /// The candidate of `timings` with the lowest median, if it beat `incumbent` (one of `timings`) in every run: its
    /// slowest step faster than the incumbent's fastest; else the incumbent. On a machine whose speed drifts, a
    /// smaller lead is not evidence.
    static func winner(_ timings: [GemmParameters: Timing], over incumbent: GemmParameters) -> GemmParameters {
        let fastest = timings.min { $0.value.median < $1.value.median }!
        return fastest.value.runs.max()! < timings[incumbent]!.runs.min()! ? fastest.key : incumbent
    }

    /// Each of `candidates`' device seconds of one `workload` step with it set for `shapeClass` in `tuning`, timed
    /// round-robin: an untimed round (which compiles), then `repeats` timed ones.
    private func time(_ candidates: [GemmParameters], for shapeClass: GemmShapeClass, in tuning: GemmTuning,
                      _ workload: () throws -> Void, _ progress: Progress) throws -> [GemmParameters: Timing] {
        var runs: [GemmParameters: [Double]] = [:]
        for round in 0...repeats {
            for candidate in candidates {
                backend.tuning = tuning
                backend.tuning.parameters[shapeClass] = candidate
                let seconds = try backend.profileKernels(workload)
                if round > 0 { runs[candidate, default: []].append(seconds) }
            }
        }
        let defaults = GemmParameters.defaults(.preferred(for: backend.info.type), device: backend.info)
        var timings: [GemmParameters: Timing] = [:]
        for candidate in candidates {
            let timing = Timing(runs: runs[candidate]!)
            timings[candidate] = timing
            progress(String(format: "    %9.3f ms (%.3f–%.3f)  %@%@", timing.median * 1e3, timing.runs.min()! * 1e3,
                            timing.runs.max()! * 1e3, candidate.description, candidate == defaults ? " (built-in)" : ""))
        }
        return timings
    }

    /// The largest relative error a candidate may show against float64 on the check's shapes (K up to 300).
    static let tolerance = 1e-4

    /// The largest relative error of `parameters` against float64 on small shapes with ragged edges, whole and
    /// split into 3 slices.
    func check(_ parameters: GemmParameters) throws -> Double {
        var worst = 0.0
        for (m, n, k) in [(37, 45, 70), (5, 130, 300)] {
            let a = Self.values(m * k, seed: 1), b = Self.values(k * n, seed: 2)
            let expected = Reference.gemm(a.map(Double.init), [m, k], b.map(Double.init), [k, n],
                                          [Double](repeating: 0, count: m * n), transposeA: false, transposeB: false,
                                          alpha: 1, beta: 0)
            for slices in [1, 3] {
                let c = try Tensor(uninitialized: [m, n], on: device)
                try gemm(Tensor(a, shape: [m, k], on: device), Tensor(b, shape: [k, n], on: device), into: c,
                         transposeA: false, transposeB: false, alpha: 1, beta: 0, variant: GemmVariant(parameters),
                         slices: slices)
                worst = max(worst, Reference.maxRelativeError(try c.toArray(), expected))
            }
        }
        return worst
    }

    /// Deterministic values in [-1, 1).
    private static func values(_ count: Int, seed: UInt64) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in 2 * generator.nextUnitFloat() - 1 }
    }
}

extension GemmTuner {
    /// One training step's forward and backward of `model`'s encoder (3 channels) on `batch` random images of
    /// `imageSize`×`imageSize`: the workload `simile tune` records the GEMMs of. A batch the device cannot hold is
    /// refused before anything is allocated for it.
    public static func encoderStep(_ model: TrainingConfiguration.Model, batch: Int, imageSize: Int,
                                   on device: Device) throws -> () throws -> Void {
        guard batch >= 1, imageSize >= 1 else {
            throw SimileError.invalidArgument("the tuner's workload needs a batch and an image size of at least 1, "
                                              + "got batch \(batch) at \(imageSize)×\(imageSize)")
        }
        let encoder = try Trainer.encoder(model, channels: 3, on: device, seed: 1)
        let floats = encoder.trainingFloatsPerImage(height: imageSize, width: imageSize)
            .flatMap { CheckedSize.product([$0 + 3 * imageSize * imageSize, batch, MemoryLayout<Float>.stride]) }
        try device.totalMemory.check(floats ?? .max, for: "a \(model.rawValue) step on \(batch) images of "
                                     + "\(imageSize)×\(imageSize) (estimated activations)")
        let x = try Tensor.normal([batch, 3, imageSize, imageSize], seed: 2, on: device)
        return {
            let (features, record) = try encoder.recordedForward(x)
            _ = try record.backward(try Tensor.normal(features.shape, seed: 3, on: device))
            encoder.zeroGradients()
        }
    }
}
