import COpenCL
import Foundation

/// Returned by the ICD loader when no vendor driver is installed (from cl_ext.h, which cl.h does not include).
let clPlatformNotFoundKHR: cl_int = -1001

/// What kind of processor an OpenCL device is; kernels pick their variant from it.
public enum CLDeviceType: String, Sendable {
    case cpu = "CPU", gpu = "GPU", accelerator = "accelerator", other = "other"

    init(_ bits: cl_device_type) {
        if bits & cl_device_type(CL_DEVICE_TYPE_GPU) != 0 { self = .gpu }
        else if bits & cl_device_type(CL_DEVICE_TYPE_ACCELERATOR) != 0 { self = .accelerator }
        else if bits & cl_device_type(CL_DEVICE_TYPE_CPU) != 0 { self = .cpu }
        else { self = .other }
    }
}

/// One OpenCL device as the runtime describes it. `index` counts devices across all platforms,
/// in enumeration order: it is the N of `--device opencl:N`.
public struct CLDeviceInfo: @unchecked Sendable {
    public let index: Int
    public let platformName: String
    public let platformVersion: String
    public let name: String
    public let vendor: String
    public let driverVersion: String
    public let type: CLDeviceType
    public let computeUnits: Int
    public let globalMemoryBytes: Int
    public let maxAllocationBytes: Int
    public let localMemoryBytes: Int
    public let maxWorkGroupSize: Int
    public let openCLCVersion: String
    public let supportsFP64: Bool
    /// The float vector width the device prefers (16 on AVX-512 CPUs under PoCL).
    public let preferredFloatVectorWidth: Int
    let platform: cl_platform_id
    let id: cl_device_id

    /// Every OpenCL device on every platform. An ICD loader with no platform installed
    /// (`CL_PLATFORM_NOT_FOUND_KHR`) means "no OpenCL": an empty list, not an error.
    /// Devices are enumerated once per process (ICD loaders are not safe to initialise from two threads).
    public static func all() throws -> [CLDeviceInfo] {
        try discovered.get()
    }

    private static let discovered = Result { try enumerate() }

    private static func enumerate() throws -> [CLDeviceInfo] {
        var platformCount: cl_uint = 0
        let status = clGetPlatformIDs(0, nil, &platformCount)
        if status == clPlatformNotFoundKHR || platformCount == 0 { return [] }
        try clCheck(status, "clGetPlatformIDs")
        var platforms = [cl_platform_id?](repeating: nil, count: Int(platformCount))
        try clCheck(clGetPlatformIDs(platformCount, &platforms, nil), "clGetPlatformIDs")

        var devices: [CLDeviceInfo] = []
        for case let platform? in platforms {
            var deviceCount: cl_uint = 0
            let found = clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), 0, nil, &deviceCount)
            if found == CL_DEVICE_NOT_FOUND || deviceCount == 0 { continue }
            try clCheck(found, "clGetDeviceIDs")
            var ids = [cl_device_id?](repeating: nil, count: Int(deviceCount))
            try clCheck(clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), deviceCount, &ids, nil),
                        "clGetDeviceIDs")
            for case let id? in ids {
                devices.append(try CLDeviceInfo(index: devices.count, platform: platform, id: id))
            }
        }
        return devices
    }

    init(index: Int, platform: cl_platform_id, id: cl_device_id) throws {
        self.index = index
        self.platform = platform
        self.id = id
        platformName = try Self.platformString(platform, CL_PLATFORM_NAME)
        platformVersion = try Self.platformString(platform, CL_PLATFORM_VERSION)
        name = try Self.deviceString(id, CL_DEVICE_NAME)
        vendor = try Self.deviceString(id, CL_DEVICE_VENDOR)
        driverVersion = try Self.deviceString(id, CL_DRIVER_VERSION)
        openCLCVersion = try Self.deviceString(id, CL_DEVICE_OPENCL_C_VERSION)
        type = CLDeviceType(try Self.deviceValue(id, CL_DEVICE_TYPE, as: cl_device_type.self))
        computeUnits = Int(try Self.deviceValue(id, CL_DEVICE_MAX_COMPUTE_UNITS, as: cl_uint.self))
        globalMemoryBytes = Int(try Self.deviceValue(id, CL_DEVICE_GLOBAL_MEM_SIZE, as: cl_ulong.self))
        maxAllocationBytes = Int(try Self.deviceValue(id, CL_DEVICE_MAX_MEM_ALLOC_SIZE, as: cl_ulong.self))
        localMemoryBytes = Int(try Self.deviceValue(id, CL_DEVICE_LOCAL_MEM_SIZE, as: cl_ulong.self))
        maxWorkGroupSize = Int(try Self.deviceValue(id, CL_DEVICE_MAX_WORK_GROUP_SIZE, as: Int.self))
        preferredFloatVectorWidth = Int(try Self.deviceValue(id, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT, as: cl_uint.self))
        supportsFP64 = try Self.deviceValue(id, CL_DEVICE_DOUBLE_FP_CONFIG, as: cl_device_fp_config.self) != 0
    }

    /// "opencl:0  pthread-skylake-avx512 (CPU, Portable Computing Language)"
    public var summary: String { "opencl:\(index)  \(name) (\(type.rawValue), \(platformName))" }

    private static func deviceString(_ id: cl_device_id, _ param: Int32) throws -> String {
        try infoString("clGetDeviceInfo") { clGetDeviceInfo(id, cl_device_info(param), $0, $1, $2) }
    }

    private static func platformString(_ id: cl_platform_id, _ param: Int32) throws -> String {
        try infoString("clGetPlatformInfo") { clGetPlatformInfo(id, cl_platform_info(param), $0, $1, $2) }
    }

    private static func deviceValue<T: BinaryInteger>(_ id: cl_device_id, _ param: Int32, as: T.Type) throws -> T {
        var value: T = 0
        let status = withUnsafeMutableBytes(of: &value) { bytes in
            clGetDeviceInfo(id, cl_device_info(param), bytes.count, bytes.baseAddress, nil)
        }
        try clCheck(status, "clGetDeviceInfo")
        return value
    }

    private static func infoString(
        _ call: String, _ query: (Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> cl_int
    ) throws -> String {
        var size = 0
        try clCheck(query(0, nil, &size), call)
        var bytes = [CChar](repeating: 0, count: size + 1)
        try clCheck(query(size, &bytes, nil), call)
        return String(cString: bytes).trimmingCharacters(in: .whitespaces)
    }
}
