import Foundation
import Simile

/// The live line `simile train` redraws on a terminal after each step of an epoch:
///
///     epoch 3/30 [########            ] 17/39  loss 5.0123  lr 0.05984  std 0.0871  151 img/s  ETA 0:42
///
/// ETA is the epoch's remaining steps at its rate so far; std is the collapse monitor's mean over the epoch so far,
/// followed by "COLLAPSING" when it is below the monitor's threshold. Off a terminal (a log file, a pipe) nothing is drawn, so
/// the one log line per epoch is the whole output there.
public final class ProgressLine {
    private let enabled: Bool
    private var lastDraw: UInt64 = 0
    private var drawn = false

    public init(enabled: Bool = ProgressLine.standardOutputIsTerminal) { self.enabled = enabled }

    /// Whether standard output is a terminal that can redraw a line.
    public static var standardOutputIsTerminal: Bool {
        isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    /// Draws `progress` over the line drawn before, at most ten times a second, and always for an epoch's last step.
    public func update(_ progress: StepProgress) {
        let now = DispatchTime.now().uptimeNanoseconds
        guard enabled, now - lastDraw >= 100_000_000 || progress.stepInEpoch == progress.stepsPerEpoch else { return }
        lastDraw = now
        print("\r" + Self.render(progress, columns: Self.terminalColumns()) + "\u{1B}[K", terminator: "")
        fflush(stdout)
        drawn = true
    }

    /// Erases the line, so that a log line can be printed in its place.
    public func clear() {
        guard drawn else { return }
        print("\r\u{1B}[K", terminator: "")
        drawn = false
    }

    /// The line for `progress`, at most `columns` characters: the bar narrows first, then the end is cut.
    public static func render(_ progress: StepProgress, columns: Int) -> String {
        let head = "epoch \(progress.epoch)/\(progress.epochs) "
        let tail = " \(progress.stepInEpoch)/\(progress.stepsPerEpoch)"
            + String(format: "  loss %.4f  lr %.4g  std %.4f%@  %.0f img/s  ETA ", progress.loss, progress.learningRate,
                     progress.embeddingStd, progress.embeddingStd < progress.collapseThreshold ? " COLLAPSING" : "",
                     progress.imagesPerSecond) + duration(progress.secondsLeftInEpoch)
        let barWidth = min(20, columns - head.count - tail.count - 2)
        guard barWidth >= 5 else { return String((head + tail).prefix(max(columns, 0))) }
        let filled = barWidth * progress.stepInEpoch / max(progress.stepsPerEpoch, 1)
        return head + "[" + String(repeating: "#", count: filled) + String(repeating: " ", count: barWidth - filled)
            + "]" + tail
    }

    /// "0:42", "12:05", "1:02:09"; "?" before there is a rate.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0, seconds < 1e7 else { return "?" }
        let whole = Int(seconds.rounded())
        let (hours, minutes, secs) = (whole / 3600, whole / 60 % 60, whole % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, secs) : String(format: "%d:%02d", minutes, secs)
    }

    /// The terminal's width, 80 when it cannot be read.
    private static func terminalColumns() -> Int {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }
}
