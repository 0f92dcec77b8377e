import Foundation
import Testing
@testable import Simile

@Suite struct MNISTTests {
    /// Three 2×3 train images and two test images, written plain or gzipped.
    static func write(to scratch: Scratch, gzip: Bool, trainLabels: [UInt8] = [7, 0, 9],
                      trainImages: [UInt8] = pixelBytes(18, seed: 2)) throws {
        let files = [("train-images-idx3-ubyte", idxFile([3, 2, 3], trainImages)),
                     ("train-labels-idx1-ubyte", idxFile([trainLabels.count], trainLabels)),
                     ("t10k-images-idx3-ubyte", idxFile([2, 2, 3], pixelBytes(12, seed: 3))),
                     ("t10k-labels-idx1-ubyte", idxFile([2], [1, 2]))]
        for (name, bytes) in files {
            _ = gzip ? try scratch.put(try gzipped(bytes), name + ".gz") : try scratch.put(bytes, name)
        }
    }

    @Test(arguments: [false, true]) func readsBothSplits(gzip: Bool) throws {
        let scratch = try Scratch()
        try Self.write(to: scratch, gzip: gzip)
        let train = try DatasetSpec.mnist(directory: scratch.directory).open(split: .train)
        #expect(train.count == 3 && train.channels == 1 && train.height == 2 && train.width == 3 && train.classes == 10)
        let pixels = pixelBytes(18, seed: 2)
        #expect(try contents(train).images == [Array(pixels[0..<6]), Array(pixels[6..<12]), Array(pixels[12..<18])])
        #expect(try contents(train).labels == [7, 0, 9])
        let test = try DatasetSpec.fashionMNIST(directory: scratch.directory).open(split: .test)
        #expect(test.count == 2 && test.name == "fashion-mnist:\(scratch.directory) (test)")
        #expect(try test.image(at: 1) == Array(pixelBytes(12, seed: 3)[6...]))
        #expect(try contents(test).labels == [1, 2])
    }

    @Test func errors() throws {
        let scratch = try Scratch()
        let directory = scratch.directory
        expectError(.invalidArgument("\(directory): found neither train-images-idx3-ubyte nor train-images-idx3-ubyte.gz")) {
            _ = try DatasetSpec.mnist(directory: directory).open(split: .train)
        }
        try Self.write(to: scratch, gzip: false, trainLabels: [7, 10, 9])
        expectError(.invalidArgument("\(directory)/train-labels-idx1-ubyte: record 1 has label 10; "
                                     + "Fashion-MNIST labels are 0–9")) {
            _ = try DatasetSpec.fashionMNIST(directory: directory).open(split: .train)
        }
        try Self.write(to: scratch, gzip: false, trainLabels: [7, 0])
        expectError(.invalidArgument("\(directory)/train-labels-idx1-ubyte: dimensions [2]; expected [3], one label "
                                     + "for each image of \(directory)/train-images-idx3-ubyte")) {
            _ = try DatasetSpec.mnist(directory: directory).open(split: .train)
        }
        _ = try scratch.put(idxFile([3, 6], pixelBytes(18, seed: 2)), "train-images-idx3-ubyte")
        expectError(.invalidArgument("\(directory)/train-images-idx3-ubyte: dimensions [3, 6]; expected "
                                     + "[images, rows, columns], each at least 1")) {
            _ = try DatasetSpec.mnist(directory: directory).open(split: .train)
        }
        _ = try scratch.put(idxFile([0, 2, 3], []), "train-images-idx3-ubyte")
        expectError(.invalidArgument("\(directory)/train-images-idx3-ubyte: dimensions [0, 2, 3]; expected "
                                     + "[images, rows, columns], each at least 1")) {
            _ = try DatasetSpec.mnist(directory: directory).open(split: .train)
        }
        _ = try scratch.put(Array(idxFile([2], [1, 2]).dropLast()), "t10k-labels-idx1-ubyte")
        expectError(.invalidArgument("\(directory)/t10k-labels-idx1-ubyte: the data is truncated: dimensions [2] "
                                     + "need 2 bytes, found 1")) {
            _ = try DatasetSpec.mnist(directory: directory).open(split: .test)
        }
    }

    /// Debian's dataset-fashion-mnist, which `make deps` and CI install. With SIMILE_REQUIRE_DATASETS=1 (as
    /// `make test` and CI set it) a missing package is a failure, not a skip.
    @Test func realFashionMNIST() throws {
        guard FileManager.default.fileExists(atPath: DatasetSpec.fashionMNISTDirectory) else {
            if ProcessInfo.processInfo.environment["SIMILE_REQUIRE_DATASETS"] == "1" {
                Issue.record("""
                    SIMILE_REQUIRE_DATASETS=1 but \(DatasetSpec.fashionMNISTDirectory) is missing \
                    (apt-get install dataset-fashion-mnist)
                    """)
            } else {
                print("note: no Fashion-MNIST; test skipped (set SIMILE_REQUIRE_DATASETS=1 to fail instead)")
            }
            return
        }
        let spec = try DatasetSpec(parsing: "fashion-mnist")
        let train = try spec.open(split: .train)
        let test = try spec.open(split: .test)
        #expect(train.count == 60000 && test.count == 10000)
        for dataset in [train, test] {
            #expect(dataset.channels == 1 && dataset.height == 28 && dataset.width == 28 && dataset.classes == 10)
            var histogram = [Int](repeating: 0, count: 10)
            for index in 0..<dataset.count { histogram[try dataset.label(at: index)!] += 1 }
            #expect(histogram == [Int](repeating: dataset.count / 10, count: 10))
        }
        // Values from Python's gzip module on the same files.
        #expect(try (0..<10).map { try train.label(at: $0)! } == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
        #expect(try (0..<10).map { try test.label(at: $0)! } == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])
        #expect(try train.image(at: 0).reduce(0) { $0 + Int($1) } == 76247)
        #expect(try train.image(at: 59999).reduce(0) { $0 + Int($1) } == 16684)
        #expect(try test.image(at: 9999).reduce(0) { $0 + Int($1) } == 24390)
    }
}
