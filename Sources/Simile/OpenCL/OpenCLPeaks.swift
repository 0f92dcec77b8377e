import Kernels

/// The device's own ceilings (`DevicePeaks`), from the kernels of peak.cl timed by their profiling events.
extension OpenCLBackend {
    /// The FP32 multiply-add rate in GFLOP/s: `fma_peak` over 4096 work-items per compute unit, its rounds raised
    /// until one launch takes at least 20 ms of device time, then the best of three launches.
    func measureFMAPeak() throws -> Double {
        let items = max(1, info.computeUnits) * 4096
        let out = try pool.buffer(bytes: items * MemoryLayout<Float>.stride, for: "the FMA peak's output")
        var iterations = 64
        func seconds() throws -> Double { try profileKernels { try fmaPeak(into: out, items: items, iterations: iterations) } }
        var time = try seconds()
        while time < 0.02, iterations < 1 << 22 {
            iterations *= max(2, min(64, Int(0.03 / max(time, 1e-6))))
            time = try seconds()
        }
        for _ in 0..<3 { time = min(time, try seconds()) }
        return Double(Self.fmaPeakFlops(items: items, iterations: iterations)) / time * 1e-9
    }

    /// The copy bandwidth in GB/s (bytes read plus bytes written) of `copy_float4` over `bytes`: the best of five
    /// copies after one warm-up. The two buffers go back to the driver afterwards (with the pool's other idle ones),
    /// so that a run measured in its middle (`simile train --trace`) does not go on holding them.
    func measureCopyBandwidth(bytes: Int) throws -> Double {
        let count = bytes / 16
        let seconds = try { () throws -> Double in
            let source = try pool.buffer(bytes: bytes, for: "the copy bandwidth's source")
            let destination = try pool.buffer(bytes: bytes, for: "the copy bandwidth's destination")
            try fill(source, count: count * 4, value: 1)
            try fill(destination, count: count * 4, value: 0)
            try copyFloat4(source, to: destination, count: count)
            var best = Double.infinity
            for _ in 0..<5 { best = min(best, try profileKernels { try copyFloat4(source, to: destination, count: count) }) }
            return best
        }()
        pool.releaseCached()
        return 2 * Double(count * 16) / seconds * 1e-9
    }

    /// The bytes the copy bandwidth is measured over: 256 MiB, less on a device whose allocations or memory are
    /// smaller (at most a quarter of its memory for the two buffers), a whole number of float4s.
    var copyPeakBytes: Int {
        min(256 << 20, info.maxAllocationBytes, info.globalMemoryBytes / 4) / 16 * 16
    }

    /// Enqueues `fma_peak` on `items` work-items of `iterations` rounds each.
    func fmaPeak(into out: CLBuffer, items: Int, iterations: Int) throws {
        let kernel = try kernel("fma_peak", program: "peak", source: KernelSource.peak)
        try launch(kernel, name: "fma_peak", global: [items], local: [min(256, info.maxWorkGroupSize)],
                   flops: Self.fmaPeakFlops(items: items, iterations: iterations), [.buffer(out), .int(iterations)])
    }

    /// Enqueues the copy of `count` float4s from `source` to `destination`.
    func copyFloat4(_ source: CLBuffer, to destination: CLBuffer, count: Int) throws {
        let kernel = try kernel("copy_float4", program: "peak", source: KernelSource.peak)
        try launch(kernel, name: "copy_float4", global: [count], local: [min(256, info.maxWorkGroupSize)],
                   [.buffer(source), .buffer(destination), .int(count)])
    }

    /// 8 chains × 8 lanes × 2 flops per round and work-item.
    private static func fmaPeakFlops(items: Int, iterations: Int) -> Int { items * iterations * 128 }
}
