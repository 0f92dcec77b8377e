/// The OpenCL limit lives apart from `MemoryLimit` so that the file readers' fuzz targets build without OpenCL.
extension MemoryLimit {
    /// One OpenCL buffer: at most the device's global memory, its CL_DEVICE_MAX_MEM_ALLOC_SIZE, and the floats
    /// the kernels can index (they take element counts and offsets as 32-bit `int`s).
    init(openCL info: CLDeviceInfo) {
        let device = "opencl:\(info.index) (\(info.name))"
        let indexable = Int(Int32.max) * MemoryLayout<Float>.stride
        let limits = [
            MemoryLimit.globalMemory(of: info),
            MemoryLimit(bytes: info.maxAllocationBytes, reason: "\(device) allocates at most "
                        + "\(formatBytes(info.maxAllocationBytes)) in one buffer (CL_DEVICE_MAX_MEM_ALLOC_SIZE)"),
            MemoryLimit(bytes: indexable, reason: "Simile's kernels on \(device) index at most \(Int32.max) floats "
                        + "(\(formatBytes(indexable))) with their 32-bit integers"),
        ]
        self = limits.reduce(limits[0]) { $1.bytes < $0.bytes ? $1 : $0 }
    }

    /// All of the device's memory, which every buffer of a job shares.
    static func globalMemory(of info: CLDeviceInfo) -> MemoryLimit {
        MemoryLimit(bytes: info.globalMemoryBytes,
                    reason: "opencl:\(info.index) (\(info.name)) has \(formatBytes(info.globalMemoryBytes)) of memory")
    }
}
