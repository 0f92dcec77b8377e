/// Which part of a dataset to read.
public enum DatasetSplit: String, CaseIterable, Sendable, CustomStringConvertible {
    case train, test
    /// Images without labels; only STL-10 has them.
    case unlabeled

    /// Parses `train`, `test` or `unlabeled`.
    public init(parsing text: String) throws {
        guard let split = DatasetSplit(rawValue: text) else {
            throw SimileError.invalidArgument("invalid split '\(text)': expected train, test or unlabeled")
        }
        self = split
    }

    public var description: String { rawValue }
}

/// The images of one split of a dataset, as uint8 and in channel-major (CHW) row-major order, with their labels.
/// The images stay where the reader put them (a memory-mapped file, or an array for what had to be decoded: gzipped
/// IDX files, image folders, the digits) and are copied out one at a time, into the caller's buffer, so that reading
/// a batch allocates nothing.
///
/// The readers validate every size, count and label before they return a `Dataset`, so fetching an image
/// never fails for a valid index.
public struct Dataset: Sendable {
    /// What the images are, for messages: the spec and the split, e.g. `cifar10:/data (train)`.
    public let name: String
    public let count: Int
    public let channels: Int
    public let height: Int
    public let width: Int
    /// The number of classes; nil for an unlabelled split.
    public var classes: Int? { labels?.classes }

    /// Bytes of one image: channels × height × width.
    public var imageBytes: Int { channels * height * width }

    private let labels: (values: [Int], classes: Int)?
    private let runs: [ImageRun]
    /// Image files decoded when an image is asked for (a streamed folder), in place of `runs`.
    private let files: ImageFiles?
    /// Whether each channel plane is stored column-major (STL-10) and must be transposed when copied out.
    private let columnMajorPlanes: Bool

    /// `runs` hold the images in order; `labels`, when given, one label per image, each in 0..<classes.
    /// Every run must lie inside its bytes: the readers check their files before they get here.
    init(name: String, channels: Int, height: Int, width: Int, runs: [ImageRun],
         labels: (values: [Int], classes: Int)?, columnMajorPlanes: Bool = false, files: ImageFiles? = nil) {
        let imageBytes = channels * height * width
        for run in runs {
            precondition(run.count > 0 && run.stride >= imageBytes && run.offset >= 0
                         && run.offset + (run.count - 1) * run.stride + imageBytes <= run.bytes.count,
                         "\(run.bytes.name): image run outside the file")
        }
        self.name = name
        self.channels = channels
        self.height = height
        self.width = width
        self.runs = runs
        self.labels = labels
        self.columnMajorPlanes = columnMajorPlanes
        self.files = files
        count = files?.paths.count ?? runs.reduce(0) { $0 + $1.count }
        precondition(labels.map { labels in
            labels.values.count == count && labels.values.allSatisfy((0..<labels.classes).contains)
        } ?? true, "\(name): labels that do not match the images")
    }

    /// Images held in memory, packed one after another (each `channels`×`height`×`width` bytes, channel by channel,
    /// row by row), with one label in 0..<`classes` per image or none: data a program makes (a benchmark's
    /// synthetic images, a user's own reader). One error when the sizes or the labels do not fit the bytes.
    public init(name: String, images: [UInt8], channels: Int, height: Int, width: Int,
                labels: (values: [Int], classes: Int)? = nil) throws {
        let (plane, overflow) = height.multipliedReportingOverflow(by: width)
        let (imageBytes, overflows) = plane.multipliedReportingOverflow(by: channels)
        guard channels >= 1, height >= 1, width >= 1, !overflow, !overflows else {
            throw SimileError.invalidArgument("\(name): an image of \(channels)×\(height)×\(width) is impossible")
        }
        guard !images.isEmpty, images.count % imageBytes == 0 else {
            throw SimileError.invalidArgument("\(name): \(images.count) bytes are not a whole number (≥ 1) of "
                                              + "\(channels)×\(height)×\(width) images")
        }
        let count = images.count / imageBytes
        if let labels {
            guard labels.values.count == count else {
                throw SimileError.invalidArgument("\(name): \(labels.values.count) labels for \(count) images")
            }
            if let wrong = labels.values.firstIndex(where: { !(0..<max(labels.classes, 0)).contains($0) }) {
                throw SimileError.invalidArgument("\(name): image \(wrong)'s label \(labels.values[wrong]) is not in "
                                                  + "0..<\(labels.classes)")
            }
        }
        self.init(name: name, channels: channels, height: height, width: width,
                  runs: [ImageRun(bytes: ReadOnlyBytes(images, name: name), offset: 0, stride: imageBytes, count: count)],
                  labels: labels)
    }

    /// Whether each image is decoded from its file when read (`folder:DIR@SIZE`), rather than held in memory or a
    /// mapped file.
    public var isStreamed: Bool { files != nil }

    /// The label of image `index`, in 0..<classes; nil for an unlabelled split.
    public func label(at index: Int) throws -> Int? {
        try checkIndex(index)
        return labels?.values[index]
    }

    /// Copies image `index` into `buffer`, which must hold exactly `imageBytes` bytes: channel by channel, each
    /// channel row by row.
    public func copyImage(at index: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
        try checkIndex(index)
        guard buffer.count == imageBytes else {
            throw SimileError.invalidArgument("\(name): an image is \(channels)×\(height)×\(width) = \(imageBytes) "
                                              + "bytes, but the buffer holds \(buffer.count)")
        }
        if let files { return try files.decode(index, into: buffer) }
        var local = index
        for run in runs {
            guard local < run.count else {
                local -= run.count
                continue
            }
            let start = run.offset + local * run.stride
            run.bytes.withBytes { copy(UnsafeRawBufferPointer(rebasing: $0[start..<start + imageBytes]), to: buffer) }
            return
        }
    }

    /// Copies one stored image to `buffer`, transposing each plane when it is stored column-major.
    private func copy(_ image: UnsafeRawBufferPointer, to buffer: UnsafeMutableRawBufferPointer) {
        guard columnMajorPlanes else {
            buffer.copyMemory(from: image)
            return
        }
        let plane = height * width
        for channel in 0..<channels {
            for y in 0..<height {
                for x in 0..<width {
                    buffer[channel * plane + y * width + x] = image[channel * plane + x * height + y]
                }
            }
        }
    }

    /// The first `count` images (and labels) of this split, as `--train-subset` takes them; an error when there
    /// are fewer.
    public func prefix(_ count: Int) throws -> Dataset {
        guard count >= 1, count <= self.count else {
            throw SimileError.invalidArgument("\(name): cannot take the first \(count) of its \(self.count) images")
        }
        var remaining = count
        let kept = runs.compactMap { run -> ImageRun? in
            guard remaining > 0 else { return nil }
            defer { remaining -= min(run.count, remaining) }
            return ImageRun(bytes: run.bytes, offset: run.offset, stride: run.stride, count: min(run.count, remaining))
        }
        return Dataset(name: "\(name), first \(count)", channels: channels, height: height, width: width, runs: kept,
                       labels: labels.map { (Array($0.values.prefix(count)), $0.classes) },
                       columnMajorPlanes: columnMajorPlanes, files: files?.prefix(count))
    }

    /// Image `index` as a new array; `copyImage` reads without allocating.
    public func image(at index: Int) throws -> [UInt8] {
        var image = [UInt8](repeating: 0, count: imageBytes)
        try image.withUnsafeMutableBytes { try copyImage(at: index, into: $0) }
        return image
    }

    private func checkIndex(_ index: Int) throws {
        guard (0..<count).contains(index) else {
            throw SimileError.invalidArgument("\(name): image index \(index) is out of range 0..<\(count)")
        }
    }
}

/// `count` images, one every `stride` bytes from byte `offset` of `bytes`: a file of fixed-size records (the
/// image after the labels of each), or packed images (stride = the image size).
struct ImageRun: Sendable {
    let bytes: ReadOnlyBytes
    let offset: Int
    let stride: Int
    let count: Int
}
