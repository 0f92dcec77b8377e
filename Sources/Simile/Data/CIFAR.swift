/// CIFAR-10 and CIFAR-100, binary version (https://www.cs.toronto.edu/~kriz/cifar.html): files of fixed-size
/// records with no header, as cifar-10-binary.tar.gz and cifar-100-binary.tar.gz unpack them.
///
///     CIFAR-10   data_batch_1.bin … data_batch_5.bin (train), test_batch.bin (test), in cifar-10-batches-bin/;
///                10,000 records each of 3073 bytes:
///                    label    1 byte, 0–9
///                    image    3072 bytes: the red, green and blue 32×32 planes, each row-major
///     CIFAR-100  train.bin (50,000 records), test.bin (10,000), in cifar-100-binary/; 3074-byte records:
///                    coarse label 1 byte, 0–19; fine label 1 byte, 0–99; image as above
///
/// The files are memory-mapped; the fine label is CIFAR-100's label. DIR may be the unpacked folder or the one
/// that holds it.
enum CIFAR {
    enum Variant: Sendable {
        case cifar10, cifar100

        var name: String { self == .cifar10 ? "CIFAR-10" : "CIFAR-100" }
        /// Label bytes before each image, and the valid values of each; the last one is the label used.
        var labelRanges: [ClosedRange<Int>] { self == .cifar10 ? [0...9] : [0...19, 0...99] }
        var recordSize: Int { labelRanges.count + CIFAR.imageBytes }
        var folder: String { self == .cifar10 ? "cifar-10-batches-bin" : "cifar-100-binary" }

        func files(_ split: DatasetSplit) -> [String] {
            switch (self, split) {
            case (.cifar10, .train): return (1...5).map { "data_batch_\($0).bin" }
            case (.cifar10, _): return ["test_batch.bin"]
            case (.cifar100, .train): return ["train.bin"]
            case (.cifar100, _): return ["test.bin"]
            }
        }
    }

    static let side = 32
    static let imageBytes = 3 * side * side

    /// The train or test split under `directory`, named `name` in messages.
    static func open(_ directory: String, _ variant: Variant, split: DatasetSplit, name: String) throws -> Dataset {
        let names = variant.files(split)
        let folder = try locate(names[0], in: directory, orIn: variant.folder,
                                what: "the \(variant.name) binary version")
        return try dataset(files: names.map { try ReadOnlyBytes(mapping: "\(folder)/\($0)") }, variant, name: name)
    }

    /// The images of `files`, in order, once every file is a whole number of records with valid labels.
    static func dataset(files: [ReadOnlyBytes], _ variant: Variant, name: String) throws -> Dataset {
        let what = "\(variant.recordSize)-byte \(variant.name) records"
        var runs: [ImageRun] = []
        var labels: [Int] = []
        for file in files {
            let count = try recordCount(of: file, recordSize: variant.recordSize, what: what)
            try file.withBytes { bytes in
                for (position, valid) in variant.labelRanges.enumerated() {
                    let values = try checkedLabels(count: count, file: file.name, valid: valid, dataset: variant.name) {
                        Int(bytes[$0 * variant.recordSize + position])
                    }
                    if position == variant.labelRanges.count - 1 { labels += values }
                }
            }
            runs.append(ImageRun(bytes: file, offset: variant.labelRanges.count, stride: variant.recordSize,
                                 count: count))
        }
        return Dataset(name: name, channels: 3, height: side, width: side, runs: runs,
                       labels: (labels, variant.labelRanges.last!.count))
    }
}
