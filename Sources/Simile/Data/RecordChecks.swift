// The checks the dataset readers share, each an error naming the file and, for a label, the record.

/// The number of `recordSize`-byte records that make up `bytes`, which must be a whole number of them and at least
/// one; `what` names the records in errors ("3073-byte CIFAR-10 records").
func recordCount(of bytes: ReadOnlyBytes, recordSize: Int, what: String) throws -> Int {
    guard bytes.count > 0 else {
        throw SimileError.invalidArgument("\(bytes.name): the file is empty; expected \(what)")
    }
    guard bytes.count % recordSize == 0 else {
        throw SimileError.invalidArgument("\(bytes.name): \(bytes.count) bytes is not a whole number of \(what) "
                                          + "(\(bytes.count / recordSize) and \(bytes.count % recordSize) bytes over)")
    }
    return bytes.count / recordSize
}

/// The labels of `count` records of `file`, where `stored(i)` is record i's stored label and `valid` the stored
/// values `dataset` allows; each label is its stored value less `valid.lowerBound` (STL-10 stores 1–10 for 0–9).
func checkedLabels(count: Int, file: String, valid: ClosedRange<Int>, dataset: String,
                   stored: (Int) -> Int) throws -> [Int] {
    var labels: [Int] = []
    labels.reserveCapacity(count)
    for record in 0..<count {
        let label = stored(record)
        guard valid.contains(label) else {
            throw SimileError.invalidArgument("\(file): record \(record) has label \(label); \(dataset) labels are "
                                              + "\(valid.lowerBound)–\(valid.upperBound)")
        }
        labels.append(label - valid.lowerBound)
    }
    return labels
}
