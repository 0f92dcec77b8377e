import Testing
@testable import Simile

/// `Dataset(name:images:…)`: images a program holds, checked against their sizes and labels.
@Suite struct InMemoryDatasetTests {
    @Test("packed images come back in order with their labels")
    func roundTrip() throws {
        let images = (0..<3 * 2 * 2 * 2).map { UInt8($0) }
        let dataset = try Dataset(name: "made", images: images, channels: 2, height: 2, width: 2,
                                  labels: ([2, 0, 1], 3))
        #expect(dataset.count == 3 && dataset.classes == 3 && dataset.imageBytes == 8)
        #expect(try dataset.image(at: 1) == Array(images[8..<16]))
        #expect(try dataset.allLabels() == [2, 0, 1])
        let unlabelled = try Dataset(name: "made", images: images, channels: 1, height: 4, width: 6)
        #expect(unlabelled.count == 1 && unlabelled.classes == nil)
    }

    @Test("sizes and labels that do not fit the bytes are one error each")
    func errors() {
        let images = [UInt8](repeating: 7, count: 12)
        expectError(.invalidArgument("made: 12 bytes are not a whole number (≥ 1) of 1×5×1 images")) {
            _ = try Dataset(name: "made", images: images, channels: 1, height: 5, width: 1)
        }
        expectError(.invalidArgument("made: 0 bytes are not a whole number (≥ 1) of 1×2×2 images")) {
            _ = try Dataset(name: "made", images: [], channels: 1, height: 2, width: 2)
        }
        expectError(.invalidArgument("made: an image of 0×2×2 is impossible")) {
            _ = try Dataset(name: "made", images: images, channels: 0, height: 2, width: 2)
        }
        expectError(.invalidArgument("made: an image of 1×\(Int.max)×2 is impossible")) {
            _ = try Dataset(name: "made", images: images, channels: 1, height: .max, width: 2)
        }
        expectError(.invalidArgument("made: 2 labels for 3 images")) {
            _ = try Dataset(name: "made", images: images, channels: 1, height: 2, width: 2, labels: ([0, 1], 2))
        }
        expectError(.invalidArgument("made: image 2's label 5 is not in 0..<2")) {
            _ = try Dataset(name: "made", images: images, channels: 1, height: 2, width: 2, labels: ([0, 1, 5], 2))
        }
    }
}
