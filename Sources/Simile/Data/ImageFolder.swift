import Foundation

/// A folder of images, one sub-folder per class, as torchvision's ImageFolder reads it:
///
///     DIR/CLASS/IMAGE.png   PNG and JPEG files (`.png`, `.jpg`, `.jpeg`, in any case; other files are skipped,
///     DIR/CLASS/IMAGE.jpg   and so are names starting with a dot)
///
/// The classes are the sub-folders sorted by name (label 0 is the first), the images sorted by name within each.
///
/// Images decode to 8-bit RGB (`PNGDecoder`, `JPEGDecoder`: gray repeated in the three channels, palette colours
/// looked up, alpha dropped). `open` (`folder:DIR`) decodes every image when the folder is opened, on all cores, and
/// holds them in memory as CHW bytes: they must all be of one size, and a size that differs or a file that does not
/// decode is an error before training starts. `stream` (`folder:DIR@SIZE`) only lists the files, and the loader
/// decodes each when it needs it, to SIZE × SIZE: images of any and mixed sizes, folders of any size.
enum ImageFolder {
    static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    /// The images under `directory`, named `name`.
    static func open(_ directory: String, name: String) throws -> Dataset {
        let (files, classes) = try index(directory)
        return try decodeAll(files, classes: classes, directory: directory, name: name)
    }

    /// The images under `directory` of any and mixed sizes, streamed: only listed when opened, each decoded to its
    /// centre square at `side` × `side` when the loader reads it (`ImageFiles`).
    static func stream(_ directory: String, side: Int, name: String) throws -> Dataset {
        let (files, classes) = try index(directory)
        return Dataset(name: name, channels: 3, height: side, width: side, runs: [],
                       labels: (files.map(\.label), classes.count),
                       files: ImageFiles(paths: files.map(\.path), side: side))
    }

    /// Every image file under `directory` with its label, and the class folders' names.
    private static func index(_ directory: String) throws -> (files: [(path: String, label: Int)], classes: [String]) {
        let classes = try entries(of: directory).filter { isFolder("\(directory)/\($0)") }.sorted()
        guard !classes.isEmpty else {
            throw SimileError.invalidArgument("\(directory): no class folders; expected DIR/CLASS/IMAGE.png or .jpg")
        }
        var files: [(path: String, label: Int)] = []
        for (label, className) in classes.enumerated() {
            let folder = "\(directory)/\(className)"
            let images = try entries(of: folder).filter {
                extensions.contains(($0 as NSString).pathExtension.lowercased())
            }
            guard !images.isEmpty else { throw SimileError.invalidArgument("\(folder): no PNG or JPEG files") }
            files += images.sorted().map { ("\(folder)/\($0)", label) }
        }
        return (files, classes)
    }

    /// Decodes every image of `files`, which must all be of one size, into memory.
    private static func decodeAll(_ files: [(path: String, label: Int)], classes: [String], directory: String,
                                  name: String) throws -> Dataset {

        let first = try decode(files[0].path)
        let stride = 3 * first.height * first.width
        let total = try CheckedSize.elements([files.count, 3, first.height, first.width])
        try MemoryLimit.host.check(total,
                                   for: "\(directory): \(files.count) images of 3×\(first.height)×\(first.width)")
        // The files decode in parallel, each into its own slice; the error reported is the first file's in order.
        var planes = [UInt8](repeating: 0, count: total)
        var failures = [Error?](repeating: nil, count: files.count)
        planes.withUnsafeMutableBufferPointer { planes in
            failures.withUnsafeMutableBufferPointer { failures in
                DispatchQueue.concurrentPerform(iterations: files.count) { index in
                    do {
                        let image = index == 0 ? first : try decode(files[index].path)
                        guard image.width == first.width, image.height == first.height else {
                            throw SimileError.invalidArgument(
                                "\(files[index].path): the image is \(image.width)×\(image.height); every image must be "
                                + "\(first.width)×\(first.height) like \(files[0].path)")
                        }
                        let slice = planes[index * stride ..< (index + 1) * stride]
                        image.writePlanes(to: UnsafeMutableBufferPointer(rebasing: slice))
                    } catch {
                        failures[index] = error
                    }
                }
            }
        }
        if let failure = failures.lazy.compactMap({ $0 }).first { throw failure }
        return Dataset(name: name, channels: 3, height: first.height, width: first.width,
                       runs: [ImageRun(bytes: ReadOnlyBytes(planes, name: directory), offset: 0, stride: stride,
                                       count: files.count)],
                       labels: (files.map(\.label), classes.count))
    }

    private static func decode(_ path: String) throws -> RGBImage {
        try ReadOnlyBytes(mapping: path).withBytes { try RGBImage.decode($0, name: path) }
    }

    /// The names in `folder` that do not start with a dot.
    private static func entries(of folder: String) throws -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw SimileError.invalidArgument("\(folder): cannot list the folder (missing, not a folder, or "
                                              + "unreadable)")
        }
        return names.filter { !$0.hasPrefix(".") }
    }

    private static func isFolder(_ path: String) -> Bool {
        var folder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &folder) && folder.boolValue
    }
}
