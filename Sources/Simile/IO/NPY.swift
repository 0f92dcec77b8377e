import Foundation

/// A NumPy .npy array held as float32 (float64 files are converted), C order.
///
/// The format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html) is a preamble,
/// a header and the raw elements:
///
///     \x93NUMPY             magic string, 6 bytes
///     major, minor          format version, 1 byte each
///     header length         little-endian UInt16 (version 1.0) or UInt32 (2.0 and 3.0)
///     header                a Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
///                           padded with spaces and a final '\n' so that the data starts at a multiple of 64 bytes
///     data                  the elements, packed, in the byte order and type that 'descr' names
public enum NPY {
    /// Reads a .npy file: format version 1.0, 2.0 (and 3.0, same as 2.0 but utf8 header), dtype '<f4' or '<f8'
    /// (also '=f4'/'=f8' on little-endian hosts; '|' is not valid for floats), fortran_order False, any shape
    /// including 0-d (a scalar, shape []) and dimensions of 0. Anything else is one `invalidArgument` error
    /// that starts with `path` and names what the file holds.
    ///
    /// The file is read in order and never past what its header declares, so pipes and devices work too:
    /// `/dev/zero` fails at once on the magic string, and a stream that runs on after the data is an error
    /// after one more byte. A float64 value too large for float32 is an error naming its index; NaN and
    /// infinities stored in the file are kept as they are.
    public static func read(_ path: String) throws -> (values: [Float], shape: [Int]) {
        let descriptor = try openForReading(path)
        defer { close(descriptor) }
        var source = try FileByteSource(descriptor: descriptor, path: path)
        return try decode(&source, name: path)
    }

    /// Parses the bytes of a .npy file held in memory, exactly as `read` parses a file; errors start with
    /// `name`.
    public static func parse(_ bytes: [UInt8], name: String) throws -> (values: [Float], shape: [Int]) {
        var source = MemoryByteSource(bytes: bytes)
        return try decode(&source, name: name)
    }

    /// The six bytes every .npy file starts with.
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// The longest header the reader accepts. NumPy reads at most 10,000 header bytes unless told otherwise,
    /// but `write` writes version 2.0 headers for shapes with thousands of dimensions, so the bound is higher:
    /// it is there to stop a hostile length from making the reader allocate gigabytes for a header.
    static let maxHeaderLength = 1 << 20

    /// Bytes per element of each dtype the reader accepts: little-endian floats, '=' meaning native order.
    static let itemSizes: [String: Int] = {
        var sizes = ["<f4": 4, "<f8": 8]
        #if _endian(little)
        sizes["=f4"] = 4
        sizes["=f8"] = 8
        #endif
        return sizes
    }()

    /// The number of elements of `shape`, or nil when a dimension is negative or the product overflows.
    static func elementCount(_ shape: [Int]) -> Int? { try? CheckedSize.elements(shape) }

    /// `bytes` with printable ASCII as is and everything else as \xNN, as Python prints bytes.
    static func escaped<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        bytes.map { (0x20..<0x7f).contains($0) ? String(UnicodeScalar($0)) : "\\x" + String(format: "%02x", $0) }
            .joined()
    }
}
