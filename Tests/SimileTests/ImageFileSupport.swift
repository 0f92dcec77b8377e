import CSPNG
import CTurboJPEG
import Foundation

/// PNG colour types, as the PNG header stores them.
enum PNGColorType: UInt8 {
    case gray = 0, rgb = 2, palette = 3, grayAlpha = 4, rgba = 6
}

/// A PNG file of `samples` (row-major, in the colour type's layout, big-endian when 16-bit) made by libspng's
/// encoder; `palette` holds the RGB colours a palette image indexes.
func pngFile(width: Int, height: Int, _ colorType: PNGColorType, bitDepth: UInt8 = 8, _ samples: [UInt8],
             palette: [[UInt8]] = []) -> [UInt8] {
    let context = spng_ctx_new(Int32(SPNG_CTX_ENCODER.rawValue))!
    defer { spng_ctx_free(context) }
    precondition(spng_set_option(context, SPNG_ENCODE_TO_BUFFER, 1) == 0)
    var header = spng_ihdr(width: UInt32(width), height: UInt32(height), bit_depth: bitDepth,
                           color_type: colorType.rawValue, compression_method: 0, filter_method: 0, interlace_method: 0)
    precondition(spng_set_ihdr(context, &header) == 0)
    if !palette.isEmpty {
        var plte = spng_plte()
        plte.n_entries = UInt32(palette.count)
        withUnsafeMutableBytes(of: &plte.entries) { raw in
            let entries = raw.bindMemory(to: spng_plte_entry.self)
            for (index, colour) in palette.enumerated() {
                entries[index] = spng_plte_entry(red: colour[0], green: colour[1], blue: colour[2], alpha: 255)
            }
        }
        precondition(spng_set_plte(context, &plte) == 0)
    }
    let status = samples.withUnsafeBytes {
        spng_encode_image(context, $0.baseAddress, $0.count, Int32(SPNG_FMT_RAW.rawValue),
                          Int32(SPNG_ENCODE_FINALIZE.rawValue))
    }
    precondition(status == 0, String(cString: spng_strerror(status)))
    var size = 0, error: Int32 = 0
    let buffer = spng_get_png_buffer(context, &size, &error)!
    defer { free(buffer) }
    return Array(UnsafeRawBufferPointer(start: buffer, count: size))
}

/// A quality-100 JPEG file of `samples` (RGB, or gray when `gray`) made by libjpeg-turbo, without chroma subsampling.
func jpegFile(width: Int, height: Int, gray: Bool = false, _ samples: [UInt8]) -> [UInt8] {
    let handle = tjInitCompress()!
    defer { tjDestroy(handle) }
    var buffer: UnsafeMutablePointer<UInt8>?
    var size: UInt = 0
    let status = samples.withUnsafeBufferPointer {
        tjCompress2(handle, $0.baseAddress, Int32(width), 0, Int32(height),
                    Int32((gray ? TJPF_GRAY : TJPF_RGB).rawValue), &buffer, &size,
                    Int32((gray ? TJSAMP_GRAY : TJSAMP_444).rawValue), 100, 0)
    }
    precondition(status == 0, String(cString: tjGetErrorStr2(handle)))
    defer { tjFree(buffer) }
    return Array(UnsafeBufferPointer(start: buffer, count: Int(size)))
}

/// The CRC-32 of PNG chunks (ISO 3309), to forge a header in a test.
func crc32(_ bytes: some Sequence<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xffff_ffff
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xedb8_8320 : crc >> 1 }
    }
    return ~crc
}
