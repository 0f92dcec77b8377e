import CTurboJPEG

/// JPEG files (JFIF/Exif, baseline or progressive), decoded by libjpeg-turbo's TurboJPEG API to 8-bit RGB; gray
/// images are repeated in the three channels. A warning (a truncated or corrupt file that libjpeg would fill with
/// gray) is an error, and progressive files are limited to 500 scans, so a corrupt file cannot pass or stall.
enum JPEGDecoder {
    static func decode(_ bytes: UnsafeRawBufferPointer, name: String) throws -> RGBImage {
        guard let handle = tjInitDecompress() else {
            throw SimileError.outOfMemory("\(name): libjpeg-turbo could not allocate a decoder")
        }
        defer { tjDestroy(handle) }
        func failure() -> SimileError {
            .invalidArgument("\(name): not a valid JPEG file: \(String(cString: tjGetErrorStr2(handle)))")
        }
        let source = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let header = tjDecompressHeader3(handle, source, UInt(bytes.count), &width, &height, &subsampling, &colorspace)
        guard header == 0 else { throw failure() }
        try RGBImage.checkSize(width: Int(width), height: Int(height), name: name)
        let size = Int(width) * Int(height) * 3
        let pixels = try [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            guard tjDecompress2(handle, source, UInt(bytes.count), buffer.baseAddress, width, 0, height,
                                Int32(TJPF_RGB.rawValue), TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS) == 0 else {
                throw failure()
            }
            count = size
        }
        return RGBImage(width: Int(width), height: Int(height), pixels: pixels)
    }
}
