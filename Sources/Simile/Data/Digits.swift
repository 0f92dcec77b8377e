import EmbeddedData

/// The UCI optical digits (8×8 gray images of handwritten digits, 0–9), embedded in the binary; origin and licence
/// (CC BY 4.0) in Sources/EmbeddedData/uci-digits-LICENSE.md. The file holds 1797 records of 65 bytes:
///
///     label     1 byte, 0–9
///     pixels    64 bytes, 0–16 (the set pixels of a 4×4 block of the original 32×32 bitmap), row-major
///
/// The first 1500 records are the train split, the last 297 the test split. Pixels become uint8 as
/// round(p × 255 / 16), halves rounded up: 0 → 0, 1 → 16, 8 → 128, 16 → 255.
enum Digits {
    static let recordSize = 65
    static let side = 8
    static let trainCount = 1500

    /// 0–16 scaled to 0–255.
    static let levels: [UInt8] = (0...16).map { UInt8(($0 * 255 + 8) / 16) }

    /// The train or test split, named `name`.
    static func open(split: DatasetSplit, name: String) -> Dataset {
        let file = EmbeddedData.uciDigits
        let all = file.count / recordSize
        let records = split == .train ? 0..<trainCount : trainCount..<all
        var labels: [Int] = []
        var pixels: [UInt8] = []
        for record in records {
            let start = record * recordSize
            labels.append(Int(file[start]))
            pixels += file[start + 1..<start + recordSize].map { levels[Int($0)] }
        }
        return Dataset(name: name, channels: 1, height: side, width: side,
                       runs: [ImageRun(bytes: ReadOnlyBytes(pixels, name: name), offset: 0, stride: side * side,
                                       count: records.count)],
                       labels: (labels, 10))
    }
}
