import Foundation

/// SIGINT and SIGTERM turned into a request that a long job checks at a safe point (after a training step) instead
/// of dying in the middle of one: the signals' default action is switched off and a dispatch source records the
/// first one received, until `release()`.
final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var received: Int32?
    private var sources: [DispatchSourceSignal] = []

    init() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.record(number) }
            source.resume()
            sources.append(source)
        }
    }

    /// Gives SIGINT and SIGTERM their default action back (for the work after the safe points), keeping what
    /// was received.
    func release() {
        for source in sources { source.cancel() }
        sources = []
        for number in [SIGINT, SIGTERM] { signal(number, SIG_DFL) }
    }

    /// The first signal received, or nil.
    var first: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    private func record(_ number: Int32) {
        lock.lock()
        defer { lock.unlock() }
        if received == nil { received = number }
    }
}
