/// libFuzzer's entry point for the IDX reader (plain and gzipped) and the MNIST checks: the input is a labels file
/// of input[0] bytes, then an images file; a file starting with gzip's magic bytes 1f 8b is inflated. Built by
/// `make fuzz` together with the reader's sources.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    fuzzDataset(data, size) { bytes in
        let (labels, images) = splitByFirstByte(bytes)
        func parse(_ file: [UInt8], _ name: String) throws -> (dimensions: [Int], values: [UInt8]) {
            try IDX.parse(file, gzipped: file.starts(with: [0x1f, 0x8b]), name: name)
        }
        return try MNIST.dataset(images: parse(images, "images"), from: "images", labels: parse(labels, "labels"),
                                 from: "labels", dataset: "MNIST", name: "fuzz")
    }
    return 0
}
