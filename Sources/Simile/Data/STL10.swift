/// STL-10, binary version (https://cs.stanford.edu/~acoates/stl10/): files with no header, as
/// stl10_binary.tar.gz unpacks them into stl10_binary/.
///
///     train_X.bin, test_X.bin, unlabeled_X.bin   5,000, 8,000 and 100,000 images of 3 × 96 × 96 bytes: the red,
///                                                green and blue planes, each column-major (MATLAB's order: the
///                                                transpose of a row-major image)
///     train_y.bin, test_y.bin                    one label byte per image, 1–10 (read as 0–9)
///
/// The image files are memory-mapped (unlabeled_X.bin is 2.8 GB) and each image is transposed to row-major when
/// it is copied out. DIR may be the unpacked folder or the one that holds it.
enum STL10 {
    static let side = 96
    static let imageBytes = 3 * side * side

    /// The train, test or unlabeled split under `directory`, named `name` in messages.
    static func open(_ directory: String, split: DatasetSplit, name: String) throws -> Dataset {
        let folder = try locate("\(split)_X.bin", in: directory, orIn: "stl10_binary",
                                what: "the STL-10 binary version")
        let images = try ReadOnlyBytes(mapping: "\(folder)/\(split)_X.bin")
        let labels = split == .unlabeled ? nil : try ReadOnlyBytes(mapping: "\(folder)/\(split)_y.bin")
        return try dataset(images: images, labels: labels, name: name)
    }

    /// The images of `images`, labelled by `labels` when given, once both are checked: whole images, one label
    /// per image, every label 1–10.
    static func dataset(images: ReadOnlyBytes, labels: ReadOnlyBytes?, name: String) throws -> Dataset {
        let count = try recordCount(of: images, recordSize: imageBytes, what: "3×96×96-byte STL-10 images")
        let values = try labels.map { file in
            guard file.count == count else {
                throw SimileError.invalidArgument("\(file.name): \(file.count) labels for the \(count) images of "
                                                  + "\(images.name); expected one byte per image")
            }
            return try file.withBytes { bytes in
                try checkedLabels(count: count, file: file.name, valid: 1...10, dataset: "STL-10") { Int(bytes[$0]) }
            }
        }
        return Dataset(name: name, channels: 3, height: side, width: side,
                       runs: [ImageRun(bytes: images, offset: 0, stride: imageBytes, count: count)],
                       labels: values.map { ($0, 10) }, columnMajorPlanes: true)
    }
}
