import Foundation
import Testing
@testable import Simile

/// The trace recorder (`TraceRecorder`) and the device peaks (`DevicePeaks`, peak.cl).
@Suite(.serialized) struct TraceTests {
    @Test("fma_peak and copy_float4 give positive rates, and copy_float4 copies every float4 exactly")
    func peakKernels() throws {
        guard let device = try TestBackend.opencl.open(), let cl = device.openCL else { return }
        #expect(try cl.measureFMAPeak() > 0)
        #expect(try cl.measureCopyBandwidth(bytes: 1 << 20) > 0)
        let count = 1000  // float4s; not a multiple of the work-group size, so the bound check is exercised
        let values = randomValues(4 * count, seed: 3)
        let source = try Tensor(values, shape: [4 * count], on: device)
        let destination = try Tensor.zeros([4 * count + 4], on: device)
        try cl.copyFloat4(source.clBuffer, to: destination.clBuffer, count: count)
        let copied = try destination.toArray()
        #expect(Array(copied.prefix(4 * count)) == values && copied.suffix(4) == [0, 0, 0, 0])
    }

    @Test("the CPU's peaks: a memcpy bandwidth and an sgemm rate, both positive")
    func cpuPeaks() {
        #expect(measureMemcpyBandwidth(bytes: 1 << 20, repeats: 2) > 0)
        #expect(measureSgemmPeak(side: 128, repeats: 2) > 0)
    }

    @Test("spans and kernels are recorded only while the recorder records; kernels sit on the host time line")
    func recordsOnlyWhileStarted() throws {
        let recorder = TraceRecorder()
        TraceRecorder.span("before", .step) {}
        recorder.start()
        TraceRecorder.span("inside", .step, args: ["n": .int(1)]) {}
        recorder.stop()
        TraceRecorder.span("after", .step) {}
        let spans = try recorder.events().filter { $0.phase == "X" }
        #expect(spans.map(\.name) == ["inside"] && spans[0].args["n"] == .int(1))

        guard let device = try TestBackend.opencl.open() else { return }
        let x = try Tensor.uniform([64, 64], seed: 1, on: device)
        _ = try add(x, x)
        let kernels = TraceRecorder()
        let start = hostNanoseconds()
        kernels.start()
        _ = try add(x, x)
        kernels.stop()
        let end = hostNanoseconds()
        _ = try add(x, x)
        let events = try kernels.events()
        let launched = events.filter { $0.category == "kernel" }
        try #require(launched.count == 1, "\(events)")
        let kernel = launched[0]
        #expect(kernel.name == "add" && kernel.phase == "X" && (kernel.duration ?? -1) >= 0)
        // x, passed twice, counts once beside the sum.
        #expect(kernel.args["device"] == .string("opencl:0") && kernel.args["bytes"] == .int(2 * 64 * 64 * 4))
        #expect(kernel.args["global"] != nil && kernel.args["local"] != nil && kernel.args["submitted_us"] != nil)
        // Aligned on this launch's own enqueue, its queued time lies within the recording, and it started after that.
        let queued = kernel.args["queued_us"]?.number ?? -1
        #expect(queued >= kernels.microseconds(start) && queued <= kernels.microseconds(end), "\(kernel)")
        #expect(kernel.timestamp >= queued)
        #expect(events.contains { $0.phase == "M" && $0.threadID == kernel.threadID })
    }
}
