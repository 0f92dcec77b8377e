import CTurboJPEG
import Foundation
import Simile

extension BenchKernel {
    /// Opening a `folder:` dataset of n JPEG files of 96×96 (STL-10's size; quality 90, 4:2:0 as cameras and
    /// ImageNet store them), which decodes every file with libjpeg-turbo, on all cores: items/s is images per
    /// second. The files are made once in a temporary folder.
    func decodeCases(images n: Int) throws -> [BenchCase] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("simile-bench-jpeg-\(n)")
        let classFolder = folder.appendingPathComponent("class")
        try FileManager.default.createDirectory(at: classFolder, withIntermediateDirectories: true)
        let side = 96
        var generator = SeededGenerator(seed: 43)
        var bytes = 0
        for index in 0..<n {
            let pixels = (0..<side * side * 3).map { i -> UInt8 in
                let (y, x, c) = (i / (side * 3), i / 3 % side, i % 3)
                return UInt8(truncatingIfNeeded: (x + y) * (c + 1) + Int(generator.next() % 24))
            }
            let file = try jpeg(pixels, side: side)
            bytes += file.count
            try Data(file).write(to: classFolder.appendingPathComponent(String(format: "%05d.jpg", index)))
        }
        return [BenchCase(kernel: "decode-jpeg", size: "\(n)x96x96", flops: 0, bytes: Double(bytes), extraBytes: 0,
                          items: n) {
            _ = try DatasetSpec.folder(directory: folder.path).open(split: .train)
        }]
    }

    private func jpeg(_ rgb: [UInt8], side: Int) throws -> [UInt8] {
        guard let handle = tjInitCompress() else { throw SimileError.outOfMemory("libjpeg-turbo: no compressor") }
        defer { tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let status = rgb.withUnsafeBufferPointer {
            tjCompress2(handle, $0.baseAddress, Int32(side), 0, Int32(side), Int32(TJPF_RGB.rawValue), &buffer, &size,
                        Int32(TJSAMP_420.rawValue), 90, 0)
        }
        defer { tjFree(buffer) }
        guard status == 0, let buffer else {
            throw SimileError.invalidArgument("libjpeg-turbo: \(String(cString: tjGetErrorStr2(handle)))")
        }
        return Array(UnsafeBufferPointer(start: buffer, count: Int(size)))
    }
}
