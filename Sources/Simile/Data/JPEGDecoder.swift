import CTurboJPEG

/// JPEG files (JFIF/Exif, baseline or progressive), decoded by libjpeg-turbo's TurboJPEG API to 8-bit RGB; gray
/// images are repeated in the three channels. A warning (a truncated or corrupt file that libjpeg would fill with
/// gray) is an error, and progressive files are limited to 500 scans, so a corrupt file cannot pass or stall.
///
/// With `shorterSide`, the file is decoded scaled down by the largest of libjpeg-turbo's factors (1/8, 1/4, 3/8, …)
/// that keeps the shorter side at least that long: the inverse DCT computes the smaller image directly, at a
/// fraction of a full decode's cost (a 500×375 photo for a 96×96 crop decodes at 1/2: a quarter of the pixels).
enum JPEGDecoder {
    static func decode(_ bytes: UnsafeRawBufferPointer, name: String, shorterSide: Int? = nil) throws -> RGBImage {
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
        if let shorterSide { (width, height) = scaled(width, height, keeping: shorterSide) }
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

    /// The smallest size libjpeg-turbo's scaling factors give whose shorter side is at least `side` (the full size
    /// when none does).
    private static func scaled(_ width: Int32, _ height: Int32, keeping side: Int) -> (Int32, Int32) {
        var count: Int32 = 0
        guard let factors = tjGetScalingFactors(&count) else { return (width, height) }
        var best = (width, height)
        for factor in UnsafeBufferPointer(start: factors, count: Int(count)) {
            func scale(_ dimension: Int32) -> Int32 { (dimension * factor.num + factor.denom - 1) / factor.denom }
            let (w, h) = (scale(width), scale(height))
            if Int(min(w, h)) >= side, Int(w) * Int(h) < Int(best.0) * Int(best.1) { best = (w, h) }
        }
        return best
    }
}
