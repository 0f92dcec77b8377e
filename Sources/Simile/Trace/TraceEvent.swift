import Foundation

/// A value in a trace event's `args`: what a trace viewer shows when an event is selected.
public enum TraceArgument: Encodable, Equatable, Sendable {
    case int(Int)
    case double(Double)
    case string(String)
    case ints([Int])

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .ints(let value): try container.encode(value)
        }
    }

    /// The number, for the kernel summary; nil for text and lists.
    var number: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        case .string, .ints: return nil
        }
    }
}

/// One event of the Trace Event Format that chrome://tracing and ui.perfetto.dev open: a complete event ("X", a span
/// from `timestamp` lasting `duration`) or a metadata event ("M", naming a track). Times are microseconds on the
/// host's monotonic clock, counted from the start of the recording.
public struct TraceEvent: Encodable, Sendable {
    public let name: String
    public let category: String
    public let phase: String
    public let timestamp: Double
    public let duration: Double?
    public let processID: Int32
    public let threadID: Int
    public let args: [String: TraceArgument]

    enum CodingKeys: String, CodingKey {
        case name, args
        case category = "cat", phase = "ph", timestamp = "ts", duration = "dur", processID = "pid", threadID = "tid"
    }

    /// A span on track `threadID`.
    static func complete(_ name: String, category: TraceCategory, timestamp: Double, duration: Double, threadID: Int,
                         args: [String: TraceArgument]) -> TraceEvent {
        TraceEvent(name: name, category: category.rawValue, phase: "X", timestamp: timestamp, duration: duration,
                   processID: getpid(), threadID: threadID, args: args)
    }

    /// The event that gives track `threadID` its name in the viewer.
    static func threadName(_ name: String, threadID: Int) -> TraceEvent {
        TraceEvent(name: "thread_name", category: "__metadata", phase: "M", timestamp: 0, duration: nil,
                   processID: getpid(), threadID: threadID, args: ["name": .string(name)])
    }
}

/// What a span measures; the trace's `cat` field, by which a viewer filters and the kernel summary picks its rows.
public enum TraceCategory: String, Sendable {
    /// An OpenCL kernel, from its profiling event.
    case kernel
    /// A BLAS call on the host.
    case blas
    /// A training step (or one timed run of a bench case) as a whole.
    case step
    /// Making a batch's views, and the trainer waiting for the loader.
    case data
    /// The host blocked on an OpenCL queue (clFinish, a blocking read, a staging wait).
    case wait
}

/// The file a trace viewer opens: {"traceEvents": [...], "displayTimeUnit": "ms"}.
public func traceJSON(_ events: [TraceEvent]) throws -> [UInt8] {
    struct File: Encodable {
        let traceEvents: [TraceEvent]
        let displayTimeUnit = "ms"
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return Array(try encoder.encode(File(traceEvents: events)))
}
