import Foundation

/// The element types a safetensors file may name. The reader takes all four; F16 and BF16 (what PyTorch
/// users often save) are widened to float32. The writer writes F32 and I64.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case F32, F16, BF16, I64

    /// Bytes per element in the file.
    public var itemSize: Int {
        switch self {
        case .F32: return 4
        case .F16, .BF16: return 2
        case .I64: return 8
        }
    }
}

/// A tensor's values in memory: float32 for the floating dtypes, int64 for I64.
public enum SafetensorsData: Equatable, Sendable {
    case float32([Float])
    case int64([Int64])

    public var count: Int {
        switch self {
        case let .float32(values): return values.count
        case let .int64(values): return values.count
        }
    }
}

/// One named tensor of a safetensors file, row-major.
public struct SafetensorsTensor: Equatable, Sendable {
    public let name: String
    /// The dtype stored in the file; for a tensor made to be written, F32 or I64 as `data` holds.
    public let dtype: SafetensorsDType
    public let shape: [Int]
    public let data: SafetensorsData

    /// A tensor to write: F32 for `.float32` data, I64 for `.int64`. `data.count` must fill `shape`,
    /// which `Safetensors.write` checks.
    public init(name: String, shape: [Int], data: SafetensorsData) {
        let dtype: SafetensorsDType
        switch data {
        case .float32: dtype = .F32
        case .int64: dtype = .I64
        }
        self.init(name: name, dtype: dtype, shape: shape, data: data)
    }

    init(name: String, dtype: SafetensorsDType, shape: [Int], data: SafetensorsData) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }
}

/// The safetensors format (https://github.com/huggingface/safetensors), in which PyTorch and Hugging Face
/// exchange weights:
///
///     N        little-endian UInt64: the header's length in bytes
///     header   N bytes of UTF-8 JSON: {"NAME": {"dtype": "F32", "shape": [2, 3], "data_offsets": [BEGIN, END]},
///              ..., "__metadata__": {"KEY": "VALUE", ...}}, padded with spaces (writers pad to a multiple of 8)
///     data     every tensor's bytes, row-major little-endian, contiguous; offsets count from the header's end
public enum Safetensors {
    /// Reads a safetensors file: its tensors in data order (by begin offset; ties in header order) and its
    /// metadata. Everything is checked before it is trusted and each problem is one `invalidArgument` error
    /// starting with `path`. The file is read in order and never past what the header declares.
    public static func read(_ path: String) throws -> (tensors: [SafetensorsTensor], metadata: [String: String]) {
        let descriptor = try openForReading(path)
        defer { close(descriptor) }
        var source = try FileByteSource(descriptor: descriptor, path: path)
        return try decode(&source, name: path)
    }

    /// Parses the bytes of a safetensors file held in memory, exactly as `read` parses a file; errors start
    /// with `name`.
    public static func parse(_ bytes: [UInt8], name: String) throws
        -> (tensors: [SafetensorsTensor], metadata: [String: String]) {
        var source = MemoryByteSource(bytes: bytes)
        return try decode(&source, name: name)
    }

    /// The longest header the reader accepts, as the reference implementation: it stops a hostile length from
    /// making the reader allocate gigabytes for a header.
    static let maxHeaderLength = 100_000_000

    /// The header key that holds the string-to-string metadata rather than a tensor.
    static let metadataKey = "__metadata__"
}
