import Foundation

/// SIGINT and SIGTERM for `simile train`, handled from the command's first line to its last, in one of two ways:
///
/// - at a safe point (`stopAtSafePoint`, while the run trains or writes its files): the first signal is recorded, and
///   the training loop checks `first` after each step, stops there and writes a checkpoint;
/// - at once (`exitAtOnce`, while the run sets up or evaluates, with nothing to save that is not saved already): the
///   signal ends the process with the phase's one line, what was kept and how to go on, and exit status 128 + the
///   signal. A signal recorded before the switch ends it at the switch.
///
/// The signals' default action is switched off; a dispatch source sees them on its own thread.
final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var received: Int32?
    private var exitMessage: ((Int32) -> String)?
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

    /// From now on a signal ends the process at once, printing `message(signal)`.
    func exitAtOnce(_ message: @escaping (Int32) -> String) {
        lock.lock()
        exitMessage = message
        let pending = received
        lock.unlock()
        if let pending { exit(pending, message) }
    }

    /// From now on a signal is recorded, for the training loop to stop at its next safe point.
    func stopAtSafePoint() {
        lock.lock()
        exitMessage = nil
        lock.unlock()
    }

    /// The first signal received, or nil.
    var first: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    private func record(_ number: Int32) {
        lock.lock()
        if received == nil { received = number }
        let message = exitMessage
        lock.unlock()
        if let message { exit(number, message) }
    }

    /// Prints the line and ends the process without running exit handlers (another thread is mid-computation).
    private func exit(_ number: Int32, _ message: (Int32) -> String) -> Never {
        print(message(number))
        fflush(stdout)
        _exit(128 + number)
    }
}
