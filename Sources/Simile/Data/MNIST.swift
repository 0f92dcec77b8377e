/// MNIST and Fashion-MNIST (same layout, 28×28 gray images, labels 0–9): four IDX files in one folder, each
/// gzipped (`NAME.gz`, as distributed and as Debian's dataset-fashion-mnist installs them) or not.
///
///     train-images-idx3-ubyte   dimensions [N, rows, columns]: N images, row-major, 0 = background
///     train-labels-idx1-ubyte   dimensions [N]: one label per image, 0–9
///     t10k-images-idx3-ubyte    the test split, likewise
///     t10k-labels-idx1-ubyte
///
/// The files are decoded into memory (Fashion-MNIST's train images are 47 MB).
enum MNIST {
    /// The train or test split under `directory`; `dataset` names it in errors ("Fashion-MNIST"), `name` in
    /// the result.
    static func open(_ directory: String, split: DatasetSplit, dataset: String, name: String) throws -> Dataset {
        let prefix = split == .train ? "train" : "t10k"
        let imagesPath = try find("\(prefix)-images-idx3-ubyte", in: directory)
        let labelsPath = try find("\(prefix)-labels-idx1-ubyte", in: directory)
        return try self.dataset(images: IDX.read(imagesPath), from: imagesPath,
                                labels: IDX.read(labelsPath), from: labelsPath, dataset: dataset, name: name)
    }

    /// The images and labels of two decoded IDX files once they are checked: images [N, rows, columns] and
    /// labels [N] with N ≥ 1, each label 0–9.
    static func dataset(images: (dimensions: [Int], values: [UInt8]), from imagesPath: String,
                        labels: (dimensions: [Int], values: [UInt8]), from labelsPath: String,
                        dataset: String, name: String) throws -> Dataset {
        guard images.dimensions.count == 3, images.dimensions.allSatisfy({ $0 > 0 }) else {
            throw SimileError.invalidArgument("\(imagesPath): dimensions \(images.dimensions); expected "
                                              + "[images, rows, columns], each at least 1")
        }
        let count = images.dimensions[0]
        guard labels.dimensions == [count] else {
            throw SimileError.invalidArgument("\(labelsPath): dimensions \(labels.dimensions); expected [\(count)], "
                                              + "one label for each image of \(imagesPath)")
        }
        let values = try checkedLabels(count: count, file: labelsPath, valid: 0...9, dataset: dataset) {
            Int(labels.values[$0])
        }
        let (height, width) = (images.dimensions[1], images.dimensions[2])
        return Dataset(name: name, channels: 1, height: height, width: width,
                       runs: [ImageRun(bytes: ReadOnlyBytes(images.values, name: imagesPath), offset: 0,
                                       stride: height * width, count: count)],
                       labels: (values, 10))
    }

    /// `directory/file`, else `directory/file.gz`; an error when neither exists.
    private static func find(_ file: String, in directory: String) throws -> String {
        guard let path = firstExisting(["\(directory)/\(file)", "\(directory)/\(file).gz"]) else {
            throw SimileError.invalidArgument("\(directory): found neither \(file) nor \(file).gz")
        }
        return path
    }
}
