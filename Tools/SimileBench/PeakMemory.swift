import Foundation

/// The process's peak resident memory (VmHWM), which `resetPeakResidentMemory` sets back to the current
/// resident size. Linux only; nil where /proc cannot be read. On PoCL device buffers are host memory, so
/// this covers both backends.
enum PeakMemory {
    /// Starts a new peak measurement (writing 5 to /proc/self/clear_refs resets VmHWM).
    static func reset() {
        try? Data("5".utf8).write(to: URL(fileURLWithPath: "/proc/self/clear_refs"))
    }

    /// VmHWM in bytes.
    static func peakResidentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kilobytes * 1024
    }
}
