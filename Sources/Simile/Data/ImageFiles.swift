/// The files of a streamed image folder (`folder:DIR@SIZE`), each decoded when its image is asked for, on the
/// loader's worker that asks: a JPEG scaled down while it decodes (`JPEGDecoder`), then its centre square
/// resampled to `side` × `side` RGB (`RGBImage.writeCenterSquare`). Nothing is decoded when the folder is opened,
/// and memory holds only the batches the loader prepares ahead, whatever the folder's size. A file that does not
/// decode is an error naming it, when its image is first read.
final class ImageFiles: Sendable {
    let paths: [String]
    let side: Int

    init(paths: [String], side: Int) {
        (self.paths, self.side) = (paths, side)
    }

    /// The first `count` files.
    func prefix(_ count: Int) -> ImageFiles { ImageFiles(paths: Array(paths.prefix(count)), side: side) }

    /// Decodes file `index` into `buffer` (3 · side · side bytes, CHW).
    func decode(_ index: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
        let path = paths[index]
        let image = try ReadOnlyBytes(mapping: path).withBytes {
            try RGBImage.decode($0, name: path, shorterSide: side)
        }
        image.writeCenterSquare(side: side, to: buffer.bindMemory(to: UInt8.self))
    }
}
