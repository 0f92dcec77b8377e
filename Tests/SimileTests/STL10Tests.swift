import Foundation
import Testing
@testable import Simile

@Suite struct STL10Tests {
    /// `image` (3×96×96, row-major planes) as STL-10 stores it: each plane column-major.
    static func columnMajor(_ image: [UInt8]) -> [UInt8] {
        (0..<3).flatMap { channel in
            (0..<96).flatMap { x in (0..<96).map { y in image[channel * 9216 + y * 96 + x] } }
        }
    }

    @Test func transposesPlanesAndShiftsLabels() throws {
        let scratch = try Scratch()
        let folder = scratch.path("stl10_binary")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let images = (0..<3).map { pixelBytes(27648, seed: UInt64(20 + $0)) }
        _ = try scratch.put(images.flatMap(Self.columnMajor), "stl10_binary/train_X.bin")
        _ = try scratch.put([1, 10, 4], "stl10_binary/train_y.bin")
        _ = try scratch.put(images.prefix(2).flatMap(Self.columnMajor), "stl10_binary/unlabeled_X.bin")

        let train = try DatasetSpec.stl10(directory: scratch.directory).open(split: .train)
        #expect(train.count == 3 && train.channels == 3 && train.height == 96 && train.width == 96 && train.classes == 10)
        #expect(try contents(train).images == images && contents(train).labels == [0, 9, 3])
        // One pixel by hand: red, row 1, column 0 is stored at column 0, row 1 of the column-major plane.
        var plain = [UInt8](repeating: 0, count: 27648)
        plain[96] = 200
        #expect(Self.columnMajor(plain)[1] == 200)

        let unlabeled = try DatasetSpec.stl10(directory: folder).open(split: .unlabeled)
        #expect(unlabeled.count == 2 && unlabeled.classes == nil)
        #expect(try contents(unlabeled).images == Array(images.prefix(2)) && contents(unlabeled).labels == [nil, nil])
    }

    /// The unlabeled split's 100,000 images (2.8 GB) are mapped, not read: a sparse file of that size opens, its
    /// last image reads, and the process stays far below the file's size in resident memory.
    @Test func unlabeledSplitIsMapped() throws {
        let scratch = try Scratch()
        let path = try scratch.put([], "unlabeled_X.bin")
        #expect(truncate(path, off_t(100_000 * 27648)) == 0)
        let before = try residentBytes()
        let unlabeled = try DatasetSpec.stl10(directory: scratch.directory).open(split: .unlabeled)
        #expect(unlabeled.count == 100_000 && unlabeled.classes == nil)
        #expect(try unlabeled.image(at: 99_999) == [UInt8](repeating: 0, count: 27648))
        #expect(try residentBytes() - before < 1 << 30)
    }

    /// This process's resident memory, from /proc/self/statm.
    private func residentBytes() throws -> Int {
        let fields = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8).split(separator: " ")
        return Int(fields[1])! * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    @Test func errors() throws {
        let scratch = try Scratch()
        let directory = scratch.directory
        func expectOpenError(_ split: DatasetSplit, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
            expectError(.invalidArgument(message), sourceLocation: sourceLocation) {
                _ = try DatasetSpec.stl10(directory: directory).open(split: split)
            }
        }
        expectOpenError(.test, "\(directory): found neither test_X.bin nor stl10_binary/test_X.bin; "
                        + "expected the STL-10 binary version")
        _ = try scratch.put(pixelBytes(27648 * 2 + 5, seed: 1), "test_X.bin")
        expectOpenError(.test, "\(directory)/test_y.bin: cannot open the file: No such file or directory")
        _ = try scratch.put([3, 0], "test_y.bin")
        expectOpenError(.test, "\(directory)/test_X.bin: 55301 bytes is not a whole number of 3×96×96-byte STL-10 "
                        + "images (2 and 5 bytes over)")
        _ = try scratch.put(pixelBytes(27648 * 2, seed: 1), "test_X.bin")
        _ = try scratch.put([3], "test_y.bin")
        expectOpenError(.test, "\(directory)/test_y.bin: 1 labels for the 2 images of \(directory)/test_X.bin; "
                        + "expected one byte per image")
        _ = try scratch.put([3, 0], "test_y.bin")
        expectOpenError(.test, "\(directory)/test_y.bin: record 1 has label 0; STL-10 labels are 1–10")
        _ = try scratch.put([11, 1], "test_y.bin")
        expectOpenError(.test, "\(directory)/test_y.bin: record 0 has label 11; STL-10 labels are 1–10")
        _ = try scratch.put([], "unlabeled_X.bin")
        expectOpenError(.unlabeled, "\(directory)/unlabeled_X.bin: the file is empty; expected 3×96×96-byte "
                        + "STL-10 images")
    }
}
