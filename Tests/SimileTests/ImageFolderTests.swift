import Foundation
import Testing
@testable import Simile

@Suite struct ImageFolderTests {
    /// Interleaved RGB pixels as CHW planes.
    static func planes(_ rgb: [UInt8]) -> [UInt8] {
        (0..<3).flatMap { channel in stride(from: channel, to: rgb.count, by: 3).map { rgb[$0] } }
    }

    static func makeFolders(_ scratch: Scratch, _ names: String...) throws {
        for name in names {
            try FileManager.default.createDirectory(atPath: scratch.path(name), withIntermediateDirectories: true)
        }
    }

    /// Every PNG colour type and a 16-bit one, RGB and gray JPEGs; classes and files sorted by name; other files,
    /// hidden ones and files at the top skipped.
    @Test func decodesEveryKindToRGB() throws {
        let scratch = try Scratch()
        try Self.makeFolders(scratch, "b_cats", "a_dogs", ".hidden")
        let gray: [UInt8] = [0, 85, 170, 255]
        let rgba: [UInt8] = [1, 2, 3, 0, 4, 5, 6, 50, 7, 8, 9, 100, 10, 11, 12, 255]
        let palette: [[UInt8]] = [[255, 0, 0], [0, 255, 0], [0, 0, 255]]
        _ = try scratch.put(pngFile(width: 2, height: 2, .gray, gray), "a_dogs/gray.png")
        _ = try scratch.put(pngFile(width: 2, height: 2, .rgba, rgba), "a_dogs/rgba.png")
        let colour: [UInt8] = [30, 120, 200]
        _ = try scratch.put(jpegFile(width: 2, height: 2, colour + colour + colour + colour), "a_dogs/x.JPG")
        _ = try scratch.put(Array("not an image".utf8), "a_dogs/notes.txt")
        _ = try scratch.put(pngFile(width: 2, height: 2, .grayAlpha, [9, 0, 19, 60, 29, 120, 39, 255]),
                            "b_cats/ga.png")
        _ = try scratch.put(pngFile(width: 2, height: 2, .gray, bitDepth: 16, [0x12, 0xff, 0, 0, 0xff, 0xff, 0x80, 0x7f]),
                            "b_cats/gray16.png")
        _ = try scratch.put(pngFile(width: 2, height: 2, .palette, [2, 1, 0, 2], palette: palette), "b_cats/palette.PNG")
        _ = try scratch.put(jpegFile(width: 2, height: 2, gray: true, [77, 77, 77, 77]), "b_cats/rgb.jpeg")
        _ = try scratch.put(pngFile(width: 5, height: 5, .gray, [UInt8](repeating: 0, count: 25)), ".hidden/big.png")
        _ = try scratch.put(pngFile(width: 5, height: 5, .gray, [UInt8](repeating: 0, count: 25)), "b_cats/.big.png")
        _ = try scratch.put(pngFile(width: 5, height: 5, .gray, [UInt8](repeating: 0, count: 25)), "top.png")

        let dataset = try DatasetSpec.folder(directory: scratch.directory).open(split: .train)
        #expect(dataset.count == 7 && dataset.channels == 3 && dataset.height == 2 && dataset.width == 2)
        #expect(dataset.classes == 2 && dataset.name == "folder:\(scratch.directory) (train)")
        let (images, labels) = try contents(dataset)
        #expect(labels == [0, 0, 0, 1, 1, 1, 1])
        #expect(images[0] == gray + gray + gray)
        #expect(images[1] == Self.planes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]))
        let colourPlanes: [Int] = (0..<12).map { Int(colour[$0 / 4]) }
        #expect(zip(images[2], colourPlanes).allSatisfy { abs(Int($0) - $1) <= 2 }, "\(images[2])")
        let grayAlpha: [UInt8] = [9, 19, 29, 39], gray16: [UInt8] = [0x12, 0, 0xff, 0x80]
        #expect(images[3] == grayAlpha + grayAlpha + grayAlpha)
        #expect(images[4] == gray16 + gray16 + gray16)  // the high byte of each 16-bit sample
        #expect(images[5] == Self.planes([0, 0, 255, 0, 255, 0, 255, 0, 0, 0, 0, 255]))
        #expect(images[6].allSatisfy { abs(Int($0) - 77) <= 1 }, "\(images[6])")
    }

    @Test func errors() throws {
        let scratch = try Scratch()
        let directory = scratch.directory
        func expectOpenError(_ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
            expectError(.invalidArgument(message), sourceLocation: sourceLocation) {
                _ = try DatasetSpec.folder(directory: directory).open(split: .train)
            }
        }
        expectError(.invalidArgument("\(directory)/none: cannot list the folder (missing, not a folder, or unreadable)")) {
            _ = try DatasetSpec.folder(directory: scratch.path("none")).open(split: .train)
        }
        expectError(.invalidArgument("dataset folder:\(directory) has no test split; its splits are train")) {
            _ = try DatasetSpec.folder(directory: directory).open(split: .test)
        }
        _ = try scratch.put(pngFile(width: 1, height: 1, .gray, [0]), "top.png")
        expectOpenError("\(directory): no class folders; expected DIR/CLASS/IMAGE.png or .jpg")
        try Self.makeFolders(scratch, "a", "b")
        _ = try scratch.put(pngFile(width: 2, height: 1, .gray, [0, 1]), "a/1.png")
        expectOpenError("\(directory)/b: no PNG or JPEG files")
        _ = try scratch.put(pngFile(width: 1, height: 2, .gray, [0, 1]), "b/1.png")
        expectOpenError("\(directory)/b/1.png: the image is 1×2; every image must be 2×1 like \(directory)/a/1.png")
        // Files decode in parallel; with several bad ones, the error is the first file's in order.
        _ = try scratch.put(Array("GIF89a".utf8), "b/2.png")
        expectOpenError("\(directory)/b/1.png: the image is 1×2; every image must be 2×1 like \(directory)/a/1.png")
        try FileManager.default.removeItem(atPath: scratch.path("b/2.png"))
        _ = try scratch.put(Array("GIF89a".utf8), "b/1.png")
        expectOpenError("\(directory)/b/1.png: not a PNG or JPEG file (its first bytes are neither PNG's signature "
                        + "nor JPEG's)")
        var png = pngFile(width: 2, height: 1, .gray, [0, 1])
        png[png.count - 20] ^= 0xff  // inside IDAT's compressed rows
        _ = try scratch.put(png, "b/1.png")
        expectOpenError("\(directory)/b/1.png: not a valid PNG file: IDAT stream error")
        let jpeg = jpegFile(width: 2, height: 1, [1, 2, 3, 4, 5, 6])
        _ = try scratch.put(Array(jpeg.prefix(jpeg.count - 10)), "b/1.jpg")
        _ = try scratch.put(pngFile(width: 2, height: 1, .gray, [0, 1]), "b/1.png")
        expectOpenError("\(directory)/b/1.jpg: not a valid JPEG file: Premature end of JPEG file")

        // A header declaring 2^26 + 1 pixels, with a valid CRC: refused before anything is allocated for it.
        var forged = pngFile(width: 1, height: 1, .gray, [0])
        let ihdr = 12..<29  // chunk type and data: "IHDR", width, height, depth, colour type, ...
        forged.replaceSubrange(16..<24, with: [0x04, 0, 0, 0x01, 0, 0, 0, 0x01])  // width 2^26 + 1, height 1
        let crc = crc32(forged[ihdr])
        forged.replaceSubrange(29..<33, with: [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: crc >> $0) })
        _ = try scratch.put(forged, "b/1.jpg")
        expectOpenError("\(directory)/b/1.jpg: the image is 67108865×1 pixels; images of more than 67108864 pixels "
                        + "are not read")
    }
}
