import CSPNG

/// PNG files (https://www.w3.org/TR/png/), decoded by libspng, a PNG library written for untrusted input: a
/// signature, then chunks (IHDR with the size and colour type, PLTE, IDAT with the zlib-compressed rows, IEND),
/// each with a CRC. Every colour type and bit depth becomes 8-bit RGB: gray is repeated in the three channels,
/// palette indices are looked up, alpha is dropped (not composited) and 16-bit samples keep their high byte.
enum PNGDecoder {
    static func decode(_ bytes: UnsafeRawBufferPointer, name: String) throws -> RGBImage {
        guard let context = spng_ctx_new(0) else {
            throw SimileError.outOfMemory("\(name): libspng could not allocate a decoder")
        }
        defer { spng_ctx_free(context) }
        func check(_ status: Int32) throws {
            guard status == 0 else {
                let reason = String(cString: spng_strerror(status))
                throw SimileError.invalidArgument("\(name): not a valid PNG file: \(reason)")
            }
        }
        // Ancillary chunks (text, ICC profiles) are kept to 16 MiB each and 64 MiB in all.
        try check(spng_set_chunk_limits(context, 1 << 24, 1 << 26))
        try check(spng_set_png_buffer(context, bytes.baseAddress, bytes.count))
        var header = spng_ihdr()
        try check(spng_get_ihdr(context, &header))
        let (width, height) = (Int(header.width), Int(header.height))
        try RGBImage.checkSize(width: width, height: height, name: name)
        let format = Int32(SPNG_FMT_RGB8.rawValue)
        var size = 0
        try check(spng_decoded_image_size(context, format, &size))
        let pixels = try [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            try check(spng_decode_image(context, buffer.baseAddress, size, format, 0))
            count = size
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
