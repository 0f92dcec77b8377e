import Foundation
import Testing
@testable import Simile

/// The backends every op is tested on.
enum TestBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case cpu, opencl

    var testDescription: String { rawValue }

    /// The device, or nil when OpenCL is absent and not required. With SIMILE_REQUIRE_OPENCL=1 (CI),
    /// a missing OpenCL device is a test failure, never a skip.
    func open() throws -> Device? {
        switch self {
        case .cpu:
            return .cpu
        case .opencl:
            if try CLDeviceInfo.all().isEmpty {
                if ProcessInfo.processInfo.environment["SIMILE_REQUIRE_OPENCL"] == "1" {
                    Issue.record("SIMILE_REQUIRE_OPENCL=1 but no OpenCL device was found")
                } else {
                    print("note: no OpenCL device; OpenCL test skipped (set SIMILE_REQUIRE_OPENCL=1 to fail instead)")
                }
                return nil
            }
            return try Device.open(.opencl(index: nil))
        }
    }
}

/// Every (backend, GEMM variant) pair: the CPU uses OpenBLAS, OpenCL runs each kernel variant.
let gemmTargets: [(TestBackend, GemmKernel?)] = [(.cpu, nil)] + GemmKernel.allCases.map { (.opencl, $0) }

/// Deterministic float values in [-1, 1).
func randomValues(_ count: Int, seed: UInt64) -> [Float] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in 2 * generator.nextUnitFloat() - 1 }
}

/// Expects `actual` to match the float64 `expected` within `tolerance` (relative, floored at 1).
func expectClose(_ actual: [Float], _ expected: [Double], tolerance: Double, _ label: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "\(label): \(actual.count) values, expected \(expected.count)",
            sourceLocation: sourceLocation)
    guard actual.count == expected.count else { return }
    let error = Reference.maxRelativeError(actual, expected)
    #expect(error <= tolerance, "\(label): max relative error \(error) > \(tolerance)", sourceLocation: sourceLocation)
}

/// Expects `body` to throw exactly `expected`.
func expectError(_ expected: SimileError, sourceLocation: SourceLocation = #_sourceLocation,
                 _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected error: \(expected)", sourceLocation: sourceLocation)
    } catch let error as SimileError {
        #expect(error == expected, sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error type: \(error)", sourceLocation: sourceLocation)
    }
}

/// Central finite differences of the scalar function f at x, in float64 around float32 evaluations.
func finiteDifferences(_ x: [Float], step: Float, _ f: ([Float]) throws -> Double) rethrows -> [Double] {
    var gradient = [Double](repeating: 0, count: x.count)
    var probe = x
    for i in x.indices {
        probe[i] = x[i] + step
        let plus = try f(probe)
        probe[i] = x[i] - step
        let minus = try f(probe)
        probe[i] = x[i]
        gradient[i] = (plus - minus) / (2 * Double(step))
    }
    return gradient
}

/// A fresh directory, removed with everything in it when the value goes away.
final class Scratch {
    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("simile-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func path(_ name: String) -> String { "\(directory)/\(name)" }

    /// Writes `bytes` to the file `name` and returns its path.
    func put(_ bytes: [UInt8], _ name: String) throws -> String {
        try Data(bytes).write(to: URL(fileURLWithPath: path(name)))
        return path(name)
    }

    func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path(name)))) }

    func files() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: directory).sorted() }
}

/// Reads `bytes` (under 64 KiB, so that they fit in the pipe's buffer) with `read` through a pipe, as
/// `simile loss --input <(...)` would: a stream whose size is not known. Errors name the path /dev/fd/N.
func readThroughPipe<Result>(_ bytes: [UInt8], _ read: (String) throws -> Result) throws -> Result {
    var descriptors: [Int32] = [0, 0]
    precondition(pipe(&descriptors) == 0 && bytes.count < 1 << 16)
    defer { close(descriptors[0]) }
    precondition(bytes.withUnsafeBytes { write(descriptors[1], $0.baseAddress, $0.count) } == bytes.count)
    close(descriptors[1])
    let path = "/dev/fd/\(descriptors[0])"
    do {
        return try read(path)
    } catch SimileError.invalidArgument(let message) where message.hasPrefix(path + ": ") {
        throw SimileError.invalidArgument("/dev/fd/N" + message.dropFirst(path.count))
    } catch SimileError.outOfMemory(let message) where message.hasPrefix(path + ": ") {
        throw SimileError.outOfMemory("/dev/fd/N" + message.dropFirst(path.count))
    }
}

extension ImageEncoder {
    /// This encoder as the ResNet the tests' trainers build (their `--model` is a ResNet).
    var resnet: ResNet { self as! ResNet }
}
