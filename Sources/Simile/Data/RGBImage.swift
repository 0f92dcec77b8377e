/// An image decoded from a PNG or JPEG file to 8-bit RGB, interleaved (row by row, pixel by pixel), as the
/// decoders write it.
struct RGBImage {
    let width: Int
    let height: Int
    let pixels: [UInt8]

    /// The most pixels a file may declare: 2^26, 8192 × 8192. It keeps a corrupt or hostile header from making the
    /// decoder allocate gigabytes; images for training are far smaller.
    static let maxPixels = 1 << 26

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
    /// A JPEG file's start-of-image marker and the first byte of the next marker.
    static let jpegSignature: [UInt8] = [0xff, 0xd8, 0xff]

    /// Decodes a PNG or JPEG file, told apart by their signatures rather than by the file's name. Errors start with
    /// `name`.
    /// With `shorterSide`, a JPEG file may come back scaled down, its shorter side still at least that long
    /// (`JPEGDecoder`).
    static func decode(_ bytes: UnsafeRawBufferPointer, name: String, shorterSide: Int? = nil) throws -> RGBImage {
        if bytes.starts(with: pngSignature) { return try PNGDecoder.decode(bytes, name: name) }
        if bytes.starts(with: jpegSignature) {
            return try JPEGDecoder.decode(bytes, name: name, shorterSide: shorterSide)
        }
        throw SimileError.invalidArgument("\(name): not a PNG or JPEG file (its first bytes are neither PNG's "
                                          + "signature nor JPEG's)")
    }

    /// Checks a size read from a header before anything is allocated for it.
    static func checkSize(width: Int, height: Int, name: String) throws {
        guard width > 0, height > 0, width <= maxPixels / height else {
            throw SimileError.invalidArgument("\(name): the image is \(width)×\(height) pixels; images of more than "
                                              + "\(maxPixels) pixels are not read")
        }
    }

    /// Writes the image to `planes` (3 · width · height bytes) as channel-major (CHW) row-major bytes: the red
    /// plane, then green, then blue.
    func writePlanes(to planes: UnsafeMutableBufferPointer<UInt8>) {
        let count = width * height
        precondition(planes.count == 3 * count, "writePlanes: \(planes.count) bytes for a \(width)×\(height) image")
        pixels.withUnsafeBufferPointer { rgb in
            for channel in 0..<3 {
                for pixel in 0..<count { planes[channel * count + pixel] = rgb[3 * pixel + channel] }
            }
        }
    }
}
