import Foundation

/// What `simile tune` found for one device, as its cache file holds it (GemmTuningCache.swift reads and writes the
/// file). It is keyed by the device's name, its driver and platform versions and a digest of the GEMM kernels'
/// source: a record whose key differs is stale (another driver, or kernels changed since), and one that does not
/// parse or holds parameters outside the device's search space is corrupt; neither is used.
public struct GemmTuningRecord: Codable, Equatable, Sendable {
    /// One shape class's winner and what it gained over the defaults on the model's GEMMs of that class.
    public struct Winner: Codable, Equatable, Sendable {
        public var parameters: GemmParameters
        /// Device seconds of the class's GEMMs in one training step with the defaults and with the winner.
        public var defaultSeconds: Double
        public var tunedSeconds: Double
    }

    /// What a record must match to be used on a device.
    public struct Key: Equatable, Sendable {
        public var device: String
        public var driver: String
        public var platform: String
        public var kernelSource: String
    }

    /// What reading a record gives.
    public enum Status: Equatable, Sendable {
        case absent
        case tuned(GemmTuningRecord, GemmTuning)
        case stale(String)
        case corrupt(String)
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

    public init(key: Key, workload: String, tunedAt: Date, classes: [GemmShapeClass: Winner]) {
        format = Self.currentFormat
        (device, driver, platform, kernelSource) = (key.device, key.driver, key.platform, key.kernelSource)
        self.workload = workload
        self.tunedAt = ISO8601DateFormatter().string(from: tunedAt)
        self.classes = Dictionary(uniqueKeysWithValues: classes.map { ($0.key.rawValue, $0.value) })
    }

    /// The record in `bytes`, checked against the device's `key` and `limits`: `.tuned` with its parameters, or
    /// why it cannot be used.
    public static func decode(_ bytes: Data, expecting key: Key, limits: GemmDeviceLimits) -> Status {
        let record: GemmTuningRecord
        do {
            record = try JSONDecoder().decode(GemmTuningRecord.self, from: bytes)
        } catch {
            return .corrupt("it is not a tuning record (\(describe(error)))")
        }
        guard record.format == currentFormat else {
            return .stale("it has format \(record.format), this build reads \(currentFormat)")
        }
        if record.device != key.device { return .stale("it was tuned on '\(record.device)'") }
        if record.driver != key.driver || record.platform != key.platform {
            return .stale("it was tuned with driver \(record.driver), this device has \(key.driver)")
        }
        if record.kernelSource != key.kernelSource { return .stale("the GEMM kernels have changed since it was tuned") }
        var tuning = GemmTuning()
        for (name, winner) in record.classes {
            guard let shapeClass = GemmShapeClass(rawValue: name) else {
                return .corrupt("it names an unknown shape class '\(name)'")
            }
            guard GemmSearchSpace.contains(winner.parameters, within: limits) else {
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

