import Foundation
import Testing
@testable import Simile

/// `folder:DIR@SIZE`: image files of mixed sizes listed when opened and decoded on demand to SIZE × SIZE, each
/// image's centre square resampled by a triangle filter (checked against float64 loops written here), JPEGs scaled
/// down while they decode.
@Suite struct StreamedFolderTests {
    /// The centre square of `rgb` (interleaved, width × height) resampled to side × side in float64, CHW, rounded:
    /// for each output pixel, each input weighted by max(0, 1 − |i + ½ − c|/s) along each axis, normalised.
    static func reference(_ rgb: [UInt8], width: Int, height: Int, side: Int) -> [Double] {
        let square = min(width, height), left = (width - square) / 2, top = (height - square) / 2
        func weights(_ output: Int) -> [(Int, Double)] {
            let scale = Double(square) / Double(side), support = max(scale, 1)
            let centre = (Double(output) + 0.5) * scale
            var taps: [(Int, Double)] = []
            for input in 0..<square {
                let weight: Double = 1 - abs(Double(input) + 0.5 - centre) / support
                if weight > 0 { taps.append((input, weight)) }
            }
            let total: Double = taps.reduce(0) { $0 + $1.1 }
            return taps.map { ($0.0, $0.1 / total) }
        }
        var out = [Double](repeating: 0, count: 3 * side * side)
        for channel in 0..<3 {
            for y in 0..<side {
                for x in 0..<side {
                    var value = 0.0
                    for (row, wy) in weights(y) {
                        for (column, wx) in weights(x) {
                            value += wy * wx * Double(rgb[3 * ((top + row) * width + left + column) + channel])
                        }
                    }
                    out[(channel * side + y) * side + x] = value
                }
            }
        }
        return out
    }

    static func noise(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    }

    @Test func mixedSizesDecodeToOneSize() throws {
        let scratch = try Scratch()
        try ImageFolderTests.makeFolders(scratch, "a", "b")
        let wide = Self.noise(40 * 30 * 3, seed: 1), tall = Self.noise(17 * 23 * 3, seed: 2)
        let small = Self.noise(8 * 8 * 3, seed: 3)
        // A smooth photo-like JPEG: its scaled decode (3/8: 24×18) stays close to the full decode.
        let photo: [UInt8] = (0..<64 * 48 * 3).map { (i: Int) -> UInt8 in
            let (x, y, channel) = (i / 3 % 64, i / (64 * 3), i % 3)
            return UInt8(x * 2 + y + channel * 30)
        }
        _ = try scratch.put(pngFile(width: 40, height: 30, .rgb, wide), "a/wide.png")
        _ = try scratch.put(pngFile(width: 17, height: 23, .rgb, tall), "a/tall.png")
        _ = try scratch.put(jpegFile(width: 64, height: 48, photo), "b/photo.jpg")
        _ = try scratch.put(pngFile(width: 8, height: 8, .rgb, small), "b/small.png")
        let spec = try DatasetSpec(parsing: "folder:\(scratch.directory)@16")
        let dataset = try spec.open(split: .train)
        #expect(dataset.count == 4 && dataset.channels == 3 && dataset.height == 16 && dataset.width == 16)
        #expect(try (0..<4).map { try dataset.label(at: $0) } == [0, 0, 1, 1])
        for (index, pixels, width, height) in [(0, tall, 17, 23), (1, wide, 40, 30), (3, small, 8, 8)] {
            let expected = Self.reference(pixels, width: width, height: height, side: 16)
            let got = try dataset.image(at: index)
            #expect(zip(got, expected).allSatisfy { abs(Double($0) - $1) <= 0.51 }, "image \(index)")
        }
        let full = try ReadOnlyBytes(mapping: scratch.path("b/photo.jpg"))
            .withBytes { try RGBImage.decode($0, name: "photo") }
        let expected = Self.reference(full.pixels, width: 64, height: 48, side: 16)
        let got = try dataset.image(at: 2)
        let meanError = zip(got, expected).reduce(0) { $0 + abs(Double($1.0) - $1.1) } / Double(got.count)
        #expect(meanError < 2, "mean error \(meanError) of the scaled decode")
        #expect(try dataset.prefix(2).image(at: 1) == dataset.image(at: 1))
    }

    @Test func opensWithoutDecodingAndNamesABadFileWhenRead() throws {
        let scratch = try Scratch()
        try ImageFolderTests.makeFolders(scratch, "a")
        _ = try scratch.put(pngFile(width: 9, height: 9, .gray, [UInt8](repeating: 7, count: 81)), "a/1.png")
        _ = try scratch.put(Array("not a jpeg".utf8), "a/2.jpg")
        let dataset = try DatasetSpec.folder(directory: scratch.directory, side: 8).open(split: .train)
        #expect(dataset.count == 2 && dataset.name == "folder:\(scratch.directory)@8 (train)")
        #expect(try dataset.image(at: 0).allSatisfy { $0 == 7 })
        expectError(.invalidArgument("\(scratch.directory)/a/2.jpg: not a PNG or JPEG file (its first bytes are "
                                     + "neither PNG's signature nor JPEG's)")) {
            _ = try dataset.image(at: 1)
        }
    }

    @Test func parsesTheSize() throws {
        #expect(try DatasetSpec(parsing: "folder:/data/train@96") == .folder(directory: "/data/train", side: 96))
        #expect(try DatasetSpec(parsing: "folder:/data/me@home") == .folder(directory: "/data/me@home"))
        #expect(try DatasetSpec(parsing: "folder:/d@96").description == "folder:/d@96")
        for bad in ["folder:/d@7", "folder:/d@4097", "folder:@96", "folder:/d@99999999999999999999"] {
            #expect(throws: SimileError.self) { _ = try DatasetSpec(parsing: bad) }
        }
    }
}
