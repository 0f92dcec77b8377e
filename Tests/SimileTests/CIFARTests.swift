import Foundation
import Testing
@testable import Simile

@Suite struct CIFARTests {
    /// CIFAR records: the label bytes, then a 3×32×32 image.
    static func records(_ labels: [[UInt8]], seed: UInt64) -> (file: [UInt8], images: [[UInt8]]) {
        let images = labels.indices.map { pixelBytes(3072, seed: seed &+ UInt64($0)) }
        return (zip(labels, images).flatMap { $0 + $1 }, images)
    }

    /// CIFAR-10 in cifar-10-batches-bin/, as the archive unpacks: five train batches of 1–2 records, a test batch.
    @Test func cifar10() throws {
        let scratch = try Scratch()
        let folder = scratch.path("cifar-10-batches-bin")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        var expectedImages: [[UInt8]] = []
        var expectedLabels: [Int?] = []
        for batch in 1...5 {
            let labels: [UInt8] = batch == 3 ? [9] : [UInt8(batch), 0]
            let (file, images) = Self.records(labels.map { [$0] }, seed: UInt64(batch * 10))
            _ = try scratch.put(file, "cifar-10-batches-bin/data_batch_\(batch).bin")
            expectedImages += images
            expectedLabels += labels.map { Int($0) }
        }
        let test = Self.records([[4]], seed: 99)
        _ = try scratch.put(test.file, "cifar-10-batches-bin/test_batch.bin")

        for directory in [scratch.directory, folder] {
            let train = try DatasetSpec.cifar10(directory: directory).open(split: .train)
            #expect(train.count == 9 && train.channels == 3 && train.height == 32 && train.width == 32)
            #expect(train.classes == 10)
            let (images, labels) = try contents(train)
            #expect(images == expectedImages && labels == expectedLabels)
            let testSplit = try DatasetSpec.cifar10(directory: directory).open(split: .test)
            #expect(try contents(testSplit).images == test.images && contents(testSplit).labels == [4])
        }
    }

    /// CIFAR-100 takes the fine label, the second byte; the coarse one is checked too.
    @Test func cifar100() throws {
        let scratch = try Scratch()
        let train = Self.records([[19, 99], [0, 0], [3, 42]], seed: 5)
        _ = try scratch.put(train.file, "train.bin")
        _ = try scratch.put(Self.records([[1, 2]], seed: 6).file, "test.bin")
        let dataset = try DatasetSpec.cifar100(directory: scratch.directory).open(split: .train)
        #expect(dataset.classes == 100 && dataset.count == 3)
        #expect(try contents(dataset).images == train.images && contents(dataset).labels == [99, 0, 42])
        #expect(try DatasetSpec.cifar100(directory: scratch.directory).open(split: .test).label(at: 0) == 2)
    }

    @Test func errors() throws {
        let scratch = try Scratch()
        let directory = scratch.directory
        func expectOpenError(_ spec: DatasetSpec, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
            expectError(.invalidArgument(message), sourceLocation: sourceLocation) { _ = try spec.open(split: .train) }
        }
        expectOpenError(.cifar10(directory: directory), "\(directory): found neither data_batch_1.bin nor "
                        + "cifar-10-batches-bin/data_batch_1.bin; expected the CIFAR-10 binary version")
        _ = try scratch.put(Self.records([[0]], seed: 1).file, "data_batch_1.bin")
        expectOpenError(.cifar10(directory: directory),
                        "\(directory)/data_batch_2.bin: cannot open the file: No such file or directory")
        for batch in 2...5 { _ = try scratch.put([], "data_batch_\(batch).bin") }
        expectOpenError(.cifar10(directory: directory),
                        "\(directory)/data_batch_2.bin: the file is empty; expected 3073-byte CIFAR-10 records")
        _ = try scratch.put(Self.records([[1], [2]], seed: 1).file.dropLast(), "data_batch_2.bin")
        expectOpenError(.cifar10(directory: directory), "\(directory)/data_batch_2.bin: 6145 bytes is not a whole "
                        + "number of 3073-byte CIFAR-10 records (1 and 3072 bytes over)")
        _ = try scratch.put(Self.records([[1], [2], [10]], seed: 1).file, "data_batch_2.bin")
        expectOpenError(.cifar10(directory: directory),
                        "\(directory)/data_batch_2.bin: record 2 has label 10; CIFAR-10 labels are 0–9")

        _ = try scratch.put(Self.records([[1, 1], [20, 5]], seed: 1).file, "train.bin")
        expectOpenError(.cifar100(directory: directory),
                        "\(directory)/train.bin: record 1 has label 20; CIFAR-100 labels are 0–19")
        _ = try scratch.put(Self.records([[1, 1], [19, 100]], seed: 1).file, "train.bin")
        expectOpenError(.cifar100(directory: directory),
                        "\(directory)/train.bin: record 1 has label 100; CIFAR-100 labels are 0–99")
        try FileManager.default.createDirectory(atPath: scratch.path("dir"), withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: scratch.path("dir/test.bin"), withIntermediateDirectories: false)
        expectError(.invalidArgument("\(directory)/dir/test.bin: a directory, not a regular file")) {
            _ = try DatasetSpec.cifar100(directory: scratch.path("dir")).open(split: .test)
        }
    }
}
