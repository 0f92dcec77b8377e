import Foundation
@testable import Simile

/// An IDX file of unsigned bytes: magic, type 0x08, the dimensions as big-endian UInt32, the values.
func idxFile(_ dimensions: [Int], _ values: [UInt8]) -> [UInt8] {
    [0, 0, 0x08, UInt8(dimensions.count)]
        + dimensions.flatMap { dimension in [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: dimension >> $0) } }
        + values
}

/// `bytes` compressed by /usr/bin/gzip, as the MNIST files are distributed.
func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
    let scratch = try Scratch()
    let path = try scratch.put(bytes, "data")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/gzip")
    process.arguments = ["-n", path]
    try process.run()
    process.waitUntilExit()
    precondition(process.terminationStatus == 0, "gzip failed")
    return try scratch.bytes("data.gz")
}

/// Every image of `dataset`, each as `copyImage` writes it, and every label.
func contents(_ dataset: Dataset) throws -> (images: [[UInt8]], labels: [Int?]) {
    (try (0..<dataset.count).map { try dataset.image(at: $0) }, try (0..<dataset.count).map { try dataset.label(at: $0) })
}

/// Deterministic bytes, for image pixels.
func pixelBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
}
