import Foundation
import Testing
@testable import Simile

@Suite struct DigitsTests {
    /// The file the package embeds, read from the source tree.
    static let raw = Array(try! Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Sources/EmbeddedData/uci-digits.bin")))

    @Test func splitsMatchTheRawFile() throws {
        #expect(Self.raw.count == 1797 * 65)
        let train = try DatasetSpec.digits.open(split: .train)
        let test = try DatasetSpec.digits.open(split: .test)
        #expect(train.count == 1500 && test.count == 297 && train.count + test.count == 1797)
        for dataset in [train, test] {
            #expect(dataset.channels == 1 && dataset.height == 8 && dataset.width == 8 && dataset.classes == 10)
        }
        #expect(train.name == "digits (train)" && test.name == "digits (test)")
        for (dataset, first) in [(train, 0), (test, 1500)] {
            for index in 0..<dataset.count {
                let record = Self.raw[(first + index) * 65..<(first + index + 1) * 65]
                #expect(try dataset.label(at: index) == Int(record.first!))
                #expect(try dataset.image(at: index) == record.dropFirst().map { UInt8((Int($0) * 255 + 8) / 16) })
            }
        }
    }

    /// The first record, as scikit-learn's `load_digits()` gives it: a 0.
    @Test func firstRecord() throws {
        let train = try DatasetSpec.digits.open(split: .train)
        let pixels: [Int] = [0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0,
                             0, 4, 12, 0, 0, 8, 8, 0, 0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0,
                             0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0]
        #expect(try train.label(at: 0) == 0)
        #expect(try train.image(at: 0) == pixels.map { UInt8((($0 * 255) + 8) / 16) })
        #expect(Digits.levels.first == 0 && Digits.levels[1] == 16 && Digits.levels[8] == 128 && Digits.levels.last == 255)
    }

    @Test func everyLabelAndPixelIsInRange() {
        for record in 0..<1797 {
            #expect(Self.raw[record * 65] <= 9)
            #expect(Self.raw[record * 65 + 1..<record * 65 + 65].allSatisfy { $0 <= 16 })
        }
        #expect(Set((0..<1797).map { Self.raw[$0 * 65] }) == Set(0...9))
    }

    @Test func badIndexOrBuffer() throws {
        let test = try DatasetSpec.digits.open(split: .test)
        expectError(.invalidArgument("digits (test): image index 297 is out of range 0..<297")) {
            _ = try test.label(at: 297)
        }
        expectError(.invalidArgument("digits (test): image index -1 is out of range 0..<297")) {
            _ = try test.image(at: -1)
        }
        var buffer = [UInt8](repeating: 0, count: 65)
        expectError(.invalidArgument("digits (test): an image is 1×8×8 = 64 bytes, but the buffer holds 65")) {
            try buffer.withUnsafeMutableBytes { try test.copyImage(at: 0, into: $0) }
        }
    }
}
