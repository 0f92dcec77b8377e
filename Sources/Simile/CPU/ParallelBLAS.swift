import CBLAS
import Foundation

extension CPUBackend {
    /// 0..<count cut into at most one range per core, each a whole number of `grain`s (the last may be short).
    func coreRanges(_ count: Int, grain: Int) -> [Range<Int>] {
        let units = (count + grain - 1) / grain
        let chunks = max(1, min(threads, units))
        return (0..<chunks).map { chunk in
            (units * chunk / chunks * grain)..<min(count, units * (chunk + 1) / chunks * grain)
        }
    }

    /// Runs `body(slot, ranges[slot])` for every range, in parallel. Bodies call BLAS, so while several run,
    /// OpenBLAS is single-threaded: each range keeps one core busy instead of every call fanning out to all of
    /// them. A single range runs on the calling thread and keeps OpenBLAS's own threads.
    func parallelCallingBLAS(_ ranges: [Range<Int>], _ body: (Int, Range<Int>) -> Void) {
        guard ranges.count > 1 else {
            if let range = ranges.first { body(0, range) }
            return
        }
        let blasThreads = openblas_get_num_threads()
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(blasThreads) }
        DispatchQueue.concurrentPerform(iterations: ranges.count) { slot in body(slot, ranges[slot]) }
    }
}
