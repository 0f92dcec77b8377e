/// What the dataset readers' fuzz targets share: each input must give a dataset or one `SimileError`, never a
/// crash, a trap or unbounded memory, and a dataset must give every image and label it counts.
func fuzzDataset(_ data: UnsafePointer<UInt8>, _ size: Int, _ open: ([UInt8]) throws -> Dataset) {
    do {
        let dataset = try open(Array(UnsafeBufferPointer(start: data, count: size)))
        var image = [UInt8](repeating: 0, count: dataset.imageBytes)
        for index in 0..<dataset.count {
            try image.withUnsafeMutableBytes { try dataset.copyImage(at: index, into: $0) }
            if let label = try dataset.label(at: index), let classes = dataset.classes {
                precondition((0..<classes).contains(label), "label \(label) outside 0..<\(classes)")
            }
        }
    } catch is SimileError {
        // One clear error is as right an answer as a dataset.
    } catch {
        fatalError("not a SimileError: \(error)")
    }
}

/// `bytes` split after byte 0 into a first part of `bytes[0]` bytes (fewer when the input ends) and the rest.
func splitByFirstByte(_ bytes: [UInt8]) -> (first: [UInt8], rest: [UInt8]) {
    guard let length = bytes.first else { return ([], []) }
    let end = min(bytes.count, 1 + Int(length))
    return (Array(bytes[1..<end]), Array(bytes[end...]))
}
