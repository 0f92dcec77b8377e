/// libFuzzer's entry point for the CIFAR-10 and CIFAR-100 record checks: input[0] picks the variant (bit 0) and
/// the number of files, 1–3 (the rest of the byte); the remaining bytes are split evenly between the files.
/// Built by `make fuzz` together with the reader's sources.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCIFAR(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    fuzzDataset(data, size) { bytes in
        guard let selector = bytes.first else { throw SimileError.invalidArgument("empty input") }
        let variant: CIFAR.Variant = selector & 1 == 0 ? .cifar10 : .cifar100
        let fileCount = Int(selector >> 1) % 3 + 1
        let body = bytes.dropFirst()
        let part = body.count / fileCount
        let files = (0..<fileCount).map { file in
            let start = body.startIndex + file * part
            return ReadOnlyBytes(Array(body[start..<(file == fileCount - 1 ? body.endIndex : start + part)]),
                                 name: "file\(file)")
        }
        return try CIFAR.dataset(files: files, variant, name: "fuzz")
    }
    return 0
}
