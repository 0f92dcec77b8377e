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

    /// One OpenCL buffer: at most the device's global memory, its CL_DEVICE_MAX_MEM_ALLOC_SIZE, and the floats
    /// the kernels can index (they take element counts and offsets as 32-bit `int`s).
    init(openCL info: CLDeviceInfo) {
        let device = "opencl:\(info.index) (\(info.name))"
        let indexable = Int(Int32.max) * MemoryLayout<Float>.stride
        let limits = [
            MemoryLimit(bytes: info.globalMemoryBytes, reason: "\(device) has \(formatBytes(info.globalMemoryBytes)) of memory"),
            MemoryLimit(bytes: info.maxAllocationBytes, reason: "\(device) allocates at most "
                        + "\(formatBytes(info.maxAllocationBytes)) in one buffer (CL_DEVICE_MAX_MEM_ALLOC_SIZE)"),
            MemoryLimit(bytes: indexable, reason: "OpenCL kernels index at most \(Int32.max) floats "
                        + "(\(formatBytes(indexable))) with their 32-bit integers"),
        ]
        self = limits.reduce(limits[0]) { $1.bytes < $0.bytes ? $1 : $0 }
    }

    private init(bytes: Int, reason: String) {
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
