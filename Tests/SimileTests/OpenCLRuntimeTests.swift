import Foundation
import Testing
@testable import Simile

@Suite struct OpenCLRuntimeTests {
    @Test("error codes are reported by name with the failing call")
    func errorNames() {
        #expect(openCLErrorName(-54) == "CL_INVALID_WORK_GROUP_SIZE")
        #expect(openCLErrorName(-5) == "CL_OUT_OF_RESOURCES")
        #expect(openCLErrorName(-1001) == "CL_PLATFORM_NOT_FOUND_KHR")
        #expect(openCLErrorName(-12345) == "CL_UNKNOWN_ERROR")
        #expect(SimileError.openCL(call: "clEnqueueNDRangeKernel(add)", code: -54).description
                == "clEnqueueNDRangeKernel(add) failed: CL_INVALID_WORK_GROUP_SIZE (-54)")
    }

    @Test("a kernel that does not compile reports the device, the program and the build log")
    func buildFailure() throws {
        guard let device = try TestBackend.opencl.open(), let cl = device.openCL else { return }
        let source = "__kernel void broken(__global float* x) { x[0] = undefined_name; }"
        do {
            _ = try cl.kernel("broken", program: "broken-\(UUID())", source: source)
            Issue.record("a broken kernel compiled")
        } catch let SimileError.kernelBuildFailed(deviceName, program, _, log) {
            #expect(deviceName == cl.info.name)
            #expect(program.hasPrefix("broken-"))
            #expect(log.contains("undefined_name"), "build log: \(log)")
        }
    }

    @Test("compiled programs are cached on disk and loaded from there by a new cache")
    func binaryCache() throws {
        guard let device = try TestBackend.opencl.open(), let cl = device.openCL else { return }
        let source = "__kernel void twice(__global float* x) { x[get_global_id(0)] *= 2.0f; } // \(UUID())"
        let first = CLProgramCache(device: cl.info, context: cl.context)
        _ = try first.kernel("twice", program: "cache-test", source: source)
        #expect(first.sourceBuilds == 1)
        let file = first.binaryFile(program: "cache-test", source: source, options: "")
        #expect(FileManager.default.fileExists(atPath: file.path), "no cached binary at \(file.path)")
        let second = CLProgramCache(device: cl.info, context: cl.context)
        let kernel = try second.kernel("twice", program: "cache-test", source: source)
        #expect(second.sourceBuilds == 0, "the second cache rebuilt from source instead of loading the binary")
        let x = try Tensor([1, 2, 3], shape: [3], on: device)
        try cl.launch(kernel, name: "twice", global: [3], [.buffer(x.clBuffer)])
        #expect(try x.toArray() == [2, 4, 6])
        try? FileManager.default.removeItem(at: file)
    }

    @Test("a corrupt cached binary is rebuilt from source, not an error")
    func corruptCache() throws {
        guard let device = try TestBackend.opencl.open(), let cl = device.openCL else { return }
        let source = "__kernel void once(__global float* x) { x[0] = 1.0f; } // \(UUID())"
        let cache = CLProgramCache(device: cl.info, context: cl.context)
        let file = cache.binaryFile(program: "corrupt-test", source: source, options: "")
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("not a binary".utf8).write(to: file)
        _ = try cache.kernel("once", program: "corrupt-test", source: source)
        #expect(cache.sourceBuilds == 1)
        try? FileManager.default.removeItem(at: file)
    }

    @Test("released buffers are reused by the pool")
    func bufferReuse() throws {
        guard let device = try TestBackend.opencl.open(), let cl = device.openCL else { return }
        let bytes = 4 * 12_345
        let released = try cl.pool.buffer(bytes: bytes).mem
        let reused = try cl.pool.buffer(bytes: bytes)
        #expect(reused.mem == released)
        #expect(reused.bytes >= bytes)
    }

    @Test("the device memory in buffers is counted, idle ones included, and its peak restarts when asked")
    func memory() throws {
        // A backend of its own, so that no other test's buffers are counted.
        guard let shared = try TestBackend.opencl.open(), let info = shared.openCLInfo else { return }
        let cl = try OpenCLBackend(info)
        let before = cl.memory.held
        do {
            let buffer = try cl.pool.buffer(bytes: 1 << 20)
            #expect(buffer.bytes == 1 << 20 && cl.memory.held == before + (1 << 20) && cl.memory.peak == cl.memory.held)
        }
        #expect(cl.memory.held == before + (1 << 20), "a released buffer stays in the pool, and on the device")
        cl.resetPeakMemory()
        #expect(cl.memory.held == before && cl.memory.peak == before)
        let (first, second) = (try cl.pool.buffer(bytes: 1 << 20), try cl.pool.buffer(bytes: 1 << 20))
        #expect(first.mem != second.mem && cl.memory.peak == before + (2 << 20))
    }

    @Test("kernel time comes from profiling events")
    func profiling() throws {
        guard let device = try TestBackend.opencl.open(), let cl = device.openCL else { return }
        let a = try Tensor.uniform([256, 256], seed: 1, on: device)
        let seconds = try cl.profileKernels { _ = try matmul(a, a) }
        #expect(seconds > 0 && seconds < 10)
    }
}
