/// libFuzzer's entry point for the image folders' PNG (libspng) and JPEG (libjpeg-turbo) decoding: any bytes must
/// give an RGB image of the size its header declares, or one `SimileError`, never a crash, a trap or unbounded
/// memory. Built by `make fuzz` together with the decoders' sources.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    do {
        let image = try RGBImage.decode(UnsafeRawBufferPointer(start: data, count: size), name: "fuzz")
        precondition(image.pixels.count == image.width * image.height * 3)
    } catch is SimileError {
        // One clear error is as right an answer as an image.
    } catch {
        fatalError("not a SimileError: \(error)")
    }
    return 0
}
