import COpenCL
import Kernels
import Foundation

/// Builds OpenCL programs from embedded source, once per (source, options) in memory and once per
/// (device, driver, source, options) on disk: PoCL takes seconds to compile a program, a cached start
/// must not. Binaries live in `$SIMILE_CACHE_DIR`, else `$XDG_CACHE_HOME/simile`, else `~/.cache/simile`;
/// they are written atomically, and one that fails to load is rebuilt from source.
final class CLProgramCache: @unchecked Sendable {
    private let device: CLDeviceInfo
    private let context: cl_context
    private let lock = NSLock()
    private var programs: [String: cl_program] = [:]
    private var kernels: [String: cl_kernel] = [:]
    /// Programs this cache compiled from source rather than loading a cached binary.
    private(set) var sourceBuilds = 0

    init(device: CLDeviceInfo, context: cl_context) {
        self.device = device
        self.context = context
    }

    /// The kernel `name` from `source` (its shared includes resolved), compiled with `options`. `program` names
    /// the source in errors.
    func kernel(_ name: String, program: String, source: String, options: String = "") throws -> cl_kernel {
        lock.lock()
        defer { lock.unlock() }
        let kernelKey = "\(program)|\(options)|\(name)"
        if let kernel = kernels[kernelKey] { return kernel }
        let built = try programLocked(program: program, source: KernelSource.resolvingIncludes(source), options: options)
        var status: cl_int = 0
        let kernel = clCreateKernel(built, name, &status)
        try clCheck(status, "clCreateKernel(\(name)) in program '\(program)'")
        kernels[kernelKey] = kernel!
        return kernel!
    }

    /// Where compiled binaries are kept.
    static var directory: URL {
        let environment = ProcessInfo.processInfo.environment
        if let dir = environment["SIMILE_CACHE_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("simile")
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/simile")
    }

    /// The cache file of a program: its name and a digest of everything that changes the binary.
    func binaryFile(program name: String, source: String, options: String) -> URL {
        Self.directory.appendingPathComponent(
            "\(name)-\(Self.digest([device.name, device.driverVersion, device.platformVersion, source, options])).bin")
    }

    private func programLocked(program name: String, source: String, options: String) throws -> cl_program {
        let key = "\(name)|\(options)|\(source.hashValue)"
        if let program = programs[key] { return program }
        let cacheFile = binaryFile(program: name, source: source, options: options)
        let program: cl_program
        if let cached = try? Data(contentsOf: cacheFile), let loaded = loadBinary(cached, options: options) {
            program = loaded
        } else {
            program = try buildFromSource(name: name, source: source, options: options)
            sourceBuilds += 1
            saveBinary(program, to: cacheFile)
        }
        programs[key] = program
        return program
    }

    private func buildFromSource(name: String, source: String, options: String) throws -> cl_program {
        var status: cl_int = 0
        let program = source.withCString { text -> cl_program? in
            var pointer: UnsafePointer<CChar>? = text
            return clCreateProgramWithSource(context, 1, &pointer, nil, &status)
        }
        try clCheck(status, "clCreateProgramWithSource('\(name)')")
        var deviceID: cl_device_id? = device.id
        let built = clBuildProgram(program, 1, &deviceID, options, nil, nil)
        if built == CL_BUILD_PROGRAM_FAILURE || built == CL_INVALID_BUILD_OPTIONS {
            let log = buildLog(program!)
            clReleaseProgram(program)
            throw SimileError.kernelBuildFailed(device: device.name, program: name, options: options, log: log)
        }
        try clCheck(built, "clBuildProgram('\(name)')")
        return program!
    }

    private func loadBinary(_ binary: Data, options: String) -> cl_program? {
        var deviceID: cl_device_id? = device.id
        var status: cl_int = 0
        var binaryStatus: cl_int = 0
        let program = binary.withUnsafeBytes { raw -> cl_program? in
            var length = raw.count
            var pointer: UnsafePointer<UInt8>? = raw.bindMemory(to: UInt8.self).baseAddress
            return clCreateProgramWithBinary(context, 1, &deviceID, &length, &pointer, &binaryStatus, &status)
        }
        guard status == CL_SUCCESS, binaryStatus == CL_SUCCESS, let program else { return nil }
        guard clBuildProgram(program, 1, &deviceID, options, nil, nil) == CL_SUCCESS else {
            clReleaseProgram(program)
            return nil
        }
        return program
    }

    /// Writes the program's binary to `file` through a temporary file and a rename, so that a reader
    /// never sees half a binary. A cache that cannot be written is not an error: the next start rebuilds.
    private func saveBinary(_ program: cl_program, to file: URL) {
        var size = 0
        guard clGetProgramInfo(program, cl_program_info(CL_PROGRAM_BINARY_SIZES), MemoryLayout<Int>.size, &size, nil)
            == CL_SUCCESS, size > 0 else { return }
        var binary = [UInt8](repeating: 0, count: size)
        let status = binary.withUnsafeMutableBufferPointer { bytes -> cl_int in
            var pointer: UnsafeMutablePointer<UInt8>? = bytes.baseAddress
            return clGetProgramInfo(program, cl_program_info(CL_PROGRAM_BINARIES),
                                    MemoryLayout<UnsafeMutablePointer<UInt8>?>.size, &pointer, nil)
        }
        guard status == CL_SUCCESS else { return }
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? writeFileAtomically(binary, to: file.path)
    }

    private func buildLog(_ program: cl_program) -> String {
        var size = 0
        guard clGetProgramBuildInfo(program, device.id, cl_program_build_info(CL_PROGRAM_BUILD_LOG), 0, nil, &size)
            == CL_SUCCESS, size > 0 else { return "(no build log)" }
        var log = [CChar](repeating: 0, count: size + 1)
        _ = clGetProgramBuildInfo(program, device.id, cl_program_build_info(CL_PROGRAM_BUILD_LOG), size, &log, nil)
        return String(cString: log).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A stable 128-bit hex digest (two FNV-1a lanes) of the parts, for cache file names.
    static func digest(_ parts: [String]) -> String {
        var low: UInt64 = 0xcbf2_9ce4_8422_2325
        var high: UInt64 = 0x84222325_cbf29ce4
        for part in parts {
            for byte in part.utf8 + [0] {
                low = (low ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
                high = (high ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 ^ (high >> 29)
            }
        }
        return String(format: "%016llx%016llx", low, high)
    }
}
