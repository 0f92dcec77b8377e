/// libFuzzer's entry point for the STL-10 checks and the column-major images: the input is a labels file of
/// input[0] bytes (none when input[0] is 0: the unlabeled split), then an images file. Built by `make fuzz`
/// together with the reader's sources.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSTL10(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    fuzzDataset(data, size) { bytes in
        let (labels, images) = splitByFirstByte(bytes)
        return try STL10.dataset(images: ReadOnlyBytes(images, name: "images"),
                                 labels: labels.isEmpty ? nil : ReadOnlyBytes(labels, name: "labels"), name: "fuzz")
    }
    return 0
}
