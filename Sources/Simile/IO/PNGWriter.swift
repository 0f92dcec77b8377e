import CSPNG
import Foundation

/// Writes 8-bit gray (1 channel) or RGB (3 channels) pixels, row-major and interleaved, as a PNG file through
/// libspng's encoder, atomically (`writeFileAtomically`).
public func writePNG(_ pixels: [UInt8], width: Int, height: Int, channels: Int, to path: String) throws {
    guard channels == 1 || channels == 3, width > 0, height > 0, pixels.count == width * height * channels,
          let width32 = UInt32(exactly: width), let height32 = UInt32(exactly: height) else {
        throw SimileError.invalidArgument(
            "writePNG: \(pixels.count) bytes are not a \(width)×\(height) image of 1 or 3 channels")
    }
    guard let context = spng_ctx_new(Int32(SPNG_CTX_ENCODER.rawValue)) else {
        throw SimileError.outOfMemory("writePNG: libspng could not allocate an encoder")
    }
    defer { spng_ctx_free(context) }
    var header = spng_ihdr(width: width32, height: height32, bit_depth: 8, color_type: channels == 1 ? 0 : 2,
                           compression_method: 0, filter_method: 0, interlace_method: 0)
    var status = spng_set_option(context, SPNG_ENCODE_TO_BUFFER, 1)
    if status == 0 { status = spng_set_ihdr(context, &header) }
    if status == 0 {
        status = pixels.withUnsafeBytes {
            spng_encode_image(context, $0.baseAddress, $0.count, Int32(SPNG_FMT_PNG.rawValue),
                              Int32(SPNG_ENCODE_FINALIZE.rawValue))
        }
    }
    var size = 0
    guard status == 0, let buffer = spng_get_png_buffer(context, &size, &status) else {
        throw SimileError.invalidArgument("writePNG: libspng failed: \(String(cString: spng_strerror(status)))")
    }
    defer { free(buffer) }
    try writeFileAtomically(Array(UnsafeRawBufferPointer(start: buffer, count: size)), to: path)
}
