/// libFuzzer's entry point for the image folders' PNG (libspng) and JPEG (libjpeg-turbo) decoding: any bytes must
/// give an RGB image of the size its header declares, or one `SimileError`, never a crash, a trap or unbounded
/// memory; and a streamed folder's path (a JPEG scaled down while it decodes, then its centre square resampled to
/// 24 × 24) likewise. Built by `make fuzz` together with the decoders' sources.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    do {
        let bytes = UnsafeRawBufferPointer(start: data, count: size)
        let image = try RGBImage.decode(bytes, name: "fuzz")
        precondition(image.pixels.count == image.width * image.height * 3)
        let scaled = try RGBImage.decode(bytes, name: "fuzz", shorterSide: 24)
        precondition(scaled.pixels.count == scaled.width * scaled.height * 3)
        var square = [UInt8](repeating: 0, count: 3 * 24 * 24)
        square.withUnsafeMutableBufferPointer { scaled.writeCenterSquare(side: 24, to: $0) }
    } catch is SimileError {
        // One clear error is as right an answer as an image.
    } catch {
        fatalError("not a SimileError: \(error)")
    }
    return 0
}
