import Foundation

/// The most bytes one allocation may ask a device for. Allocations are checked against it before the
/// allocator is called: an impossible request is then one out-of-memory error naming what needed it,
/// instead of an allocator that crashes (Swift arrays), overcommits and is killed later (Linux `malloc`)
/// or reports a bare driver code (OpenCL).
struct MemoryLimit: Sendable {
    let bytes: Int
    /// What bounds the allocation, as the end of an error sentence ("this machine has 23.4 GiB").
    let reason: String

    /// Host memory: the machine's physical memory.
    static let host: MemoryLimit = {
        let pages = max(0, sysconf(Int32(_SC_PHYS_PAGES))), pageSize = max(0, sysconf(Int32(_SC_PAGESIZE)))
        let bytes = pages.multipliedReportingOverflow(by: pageSize)
        let physical = bytes.overflow || bytes.partialValue == 0 ? Int.max : bytes.partialValue
        return MemoryLimit(bytes: physical, reason: "this machine has \(formatBytes(physical)) of memory")
    }()

    init(bytes: Int, reason: String) {
        self.bytes = bytes
        self.reason = reason
    }

    /// Throws out-of-memory when `requested` bytes for `what` exceed the limit.
    func check(_ requested: Int, for what: @autoclosure () -> String) throws {
        guard requested <= bytes else {
            throw SimileError.outOfMemory("\(what()) needs \(requested) bytes; \(reason)")
        }
    }
}
