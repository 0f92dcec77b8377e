import Foundation
import Kernels

/// The file `simile tune` writes per device and every command reads: `<cache>/tuning/<device>.json` under the
/// program cache's directory (`$SIMILE_CACHE_DIR`, else `$XDG_CACHE_HOME/simile`, else `~/.cache/simile`).
/// It is keyed by the device's name, its driver and platform versions and a digest of the GEMM kernels' source:
/// a file whose key differs is stale (another driver, or kernels changed since) and ignored, as is one that does
/// not parse or holds parameters outside the device's search space; either with one warning per process.
public struct GemmTuningRecord: Codable, Equatable, Sendable {
    /// One shape class's winner and what it gained over the defaults on the model's GEMMs of that class.
    public struct Winner: Codable, Equatable, Sendable {
        public var parameters: GemmParameters
        /// Device seconds of the class's GEMMs in one training step with the defaults and with the winner.
        public var defaultSeconds: Double
        public var tunedSeconds: Double
    }

    public static let currentFormat = 1

    public var format: Int
    public var device: String
    public var driver: String
    public var platform: String
    public var kernelSource: String
    /// What it was tuned on: "resnet18 batch 256 at 32×32", and when (ISO 8601).
    public var workload: String
    public var tunedAt: String
    public var classes: [String: Winner]

    /// The key fields of `device` and of this build's GEMM kernels.
    static func key(_ device: CLDeviceInfo) -> (device: String, driver: String, platform: String, source: String) {
        (device.name, device.driverVersion, device.platformVersion,
         CLProgramCache.digest([KernelSource.gemmPack, KernelSource.gemmBlockedCPU, KernelSource.gemmTiledGPU,
                                KernelSource.gemmSplitK]))
    }

    public init(device: CLDeviceInfo, workload: String, tunedAt: Date, classes: [GemmShapeClass: Winner]) {
        let key = Self.key(device)
        format = Self.currentFormat
        (self.device, driver, platform, kernelSource) = key
        self.workload = workload
        self.tunedAt = ISO8601DateFormatter().string(from: tunedAt)
        self.classes = Dictionary(uniqueKeysWithValues: classes.map { ($0.key.rawValue, $0.value) })
    }

    /// The record in `bytes`, checked against `device`: `.tuned` with its parameters, or why it cannot be used.
    public static func decode(_ bytes: Data, for device: CLDeviceInfo) -> GemmTuningCache.Status {
        let record: GemmTuningRecord
        do {
            record = try JSONDecoder().decode(GemmTuningRecord.self, from: bytes)
        } catch {
            return .corrupt("it is not a tuning record (\(describe(error)))")
        }
        guard record.format == currentFormat else {
            return .stale("it has format \(record.format), this build reads \(currentFormat)")
        }
        let key = Self.key(device)
        if record.device != key.device { return .stale("it was tuned on '\(record.device)'") }
        if record.driver != key.driver || record.platform != key.platform {
            return .stale("it was tuned with driver \(record.driver), this device has \(key.driver)")
        }
        if record.kernelSource != key.source { return .stale("the GEMM kernels have changed since it was tuned") }
        var tuning = GemmTuning()
        for (name, winner) in record.classes {
            guard let shapeClass = GemmShapeClass(rawValue: name) else {
                return .corrupt("it names an unknown shape class '\(name)'")
            }
            guard GemmSearchSpace.contains(winner.parameters, on: device) else {
                return .corrupt("its \(name) parameters (\(winner.parameters)) are not in this device's search space")
            }
            tuning.parameters[shapeClass] = winner.parameters
        }
        return .tuned(record, tuning)
    }

    /// The record as the cache stores it: pretty-printed JSON with sorted keys.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// A decoding error in one line: what was expected, and where.
    private static func describe(_ error: Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        switch decoding {
        case .dataCorrupted(let context), .typeMismatch(_, let context), .valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            let path = (context.codingPath + [key]).map(\.stringValue).joined(separator: ".")
            return "no field \(path)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// Where a device's tuning record lives, and what reading it gives.
public enum GemmTuningCache {
    public enum Status: Equatable, Sendable {
        case absent
        case tuned(GemmTuningRecord, GemmTuning)
        case stale(String)
        case corrupt(String)
    }

    /// `<cache>/tuning/<device name in lower case, runs of other characters as '-'>.json`.
    public static func file(for device: CLDeviceInfo) -> URL {
        let name = device.name.lowercased().split(whereSeparator: { !($0.isASCII && ($0.isLetter || $0.isNumber)) })
            .joined(separator: "-")
        return CLProgramCache.directory.appendingPathComponent("tuning")
            .appendingPathComponent((name.isEmpty ? "device" : name) + ".json")
    }

    /// A tuning record is a few hundred bytes; a larger file is not one, and is not read.
    static let largestRecord = 1 << 20

    /// The status of `device`'s cache file: absent when there is none, corrupt when it is not a readable regular file
    /// of at most `largestRecord` bytes (a FIFO would block a reader), else what `GemmTuningRecord.decode` says.
    public static func status(for device: CLDeviceInfo) -> Status {
        status(at: file(for: device).path, for: device)
    }

    /// The status of the cache file at `path` for `device`.
    static func status(at path: String, for device: CLDeviceInfo) -> Status {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return errno == ENOENT ? .absent : .corrupt("it cannot be read: \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else { return .corrupt("it is \(fileKind(info.st_mode)), not a file") }
        guard info.st_size <= largestRecord else {
            return .corrupt("it holds \(info.st_size) bytes, more than a tuning record's \(largestRecord)")
        }
        do {
            let descriptor = try openForReading(path)
            defer { close(descriptor) }
            var source = try FileByteSource(descriptor: descriptor, path: path)
            return GemmTuningRecord.decode(Data(try source.read(upTo: largestRecord + 1)), for: device)
        } catch {
            return .corrupt("\(error)")
        }
    }

    /// The parameters every command uses on `device`: the cache's when it is tuned, else none (the defaults). A stale
    /// or corrupt cache is ignored with one warning on standard error per file and process.
    static func load(for device: CLDeviceInfo) -> GemmTuning {
        switch status(for: device) {
        case .absent: return GemmTuning()
        case .tuned(_, let tuning): return tuning
        case .stale(let why), .corrupt(let why):
            warnOnce("simile: warning: ignoring the GEMM tuning cache \(file(for: device).path): \(why); "
                     + "the built-in parameters are used (run `simile tune` to tune this device again)")
            return GemmTuning()
        }
    }

    /// Writes `record` as `device`'s cache file, atomically.
    public static func save(_ record: GemmTuningRecord, for device: CLDeviceInfo) throws {
        let url = file(for: device)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw SimileError.invalidArgument("cannot create the tuning cache directory "
                                              + "\(url.deletingLastPathComponent().path): \(error.localizedDescription)")
        }
        try writeFileAtomically([UInt8](try record.encoded()), to: url.path)
    }

    nonisolated(unsafe) private static var warned = Set<String>()
    private static let warnedLock = NSLock()

    private static func warnOnce(_ message: String) {
        let isNew = warnedLock.withLock { warned.insert(message).inserted }
        if isNew { FileHandle.standardError.write(Data((message + "\n").utf8)) }
    }
}
