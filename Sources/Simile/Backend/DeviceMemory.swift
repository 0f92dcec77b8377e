extension Device {
    /// What all of a job's tensors on this device share: the machine's memory on the CPU, the device's global memory
    /// on OpenCL (`MemoryLimit(openCL:)` is the limit of one buffer).
    var totalMemory: MemoryLimit {
        switch backend {
        case .cpu: return .host
        case .opencl(let cl): return .globalMemory(of: cl.info)
        }
    }
}
