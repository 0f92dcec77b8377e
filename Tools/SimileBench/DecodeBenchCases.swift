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
            let file = try jpeg(pixels, width: side, height: side)
            bytes += file.count
            try Data(file).write(to: classFolder.appendingPathComponent(String(format: "%05d.jpg", index)))
        }
        return [BenchCase(kernel: "decode-jpeg", size: "\(n)x96x96", flops: 0, bytes: Double(bytes), extraBytes: 0,
                          items: n) {
            _ = try DatasetSpec.folder(directory: folder.path).open(split: .train)
        }]
    }

    func jpeg(_ rgb: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        guard let handle = tjInitCompress() else { throw SimileError.outOfMemory("libjpeg-turbo: no compressor") }
        defer { tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let status = rgb.withUnsafeBufferPointer {
            tjCompress2(handle, $0.baseAddress, Int32(width), 0, Int32(height), Int32(TJPF_RGB.rawValue), &buffer,
                        &size,
                        Int32(TJSAMP_420.rawValue), 90, 0)
        }
        defer { tjFree(buffer) }
        guard status == 0, let buffer else {
            throw SimileError.invalidArgument("libjpeg-turbo: \(String(cString: tjGetErrorStr2(handle)))")
        }
        return Array(UnsafeBufferPointer(start: buffer, count: Int(size)))
    }
}

extension BenchKernel {
    /// A streamed image folder (`folder:DIR@96`) of n JPEG photos of 500×375 (ImageNet's typical size; quality 90,
    /// 4:2:0), made once in a temporary folder, on the CPU:
    /// - `decode[500x375→96]`: each file decoded on one thread, scaled by libjpeg-turbo (1/2 here: 250×188) and its
    ///   centre square resampled to 96×96, as the loader's workers do: items/s is images per second on one core.
    /// - `decode-step`: SimCLR's training step of ResNet-18 (ImageNet stem) at 96² on those files, batch n/4, its
    ///   batches made by the loader's two workers as in training; the note under it says which share of the
    ///   step's time it waited for data, and how many cores the loader needs at the step's rate.
    func decodeStreamCases(images n: Int) throws -> [BenchCase] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("simile-bench-photos-\(n)")
        let classFolder = folder.appendingPathComponent("class")
        try FileManager.default.createDirectory(at: classFolder, withIntermediateDirectories: true)
        let (width, height) = (500, 375)
        var generator = SeededGenerator(seed: 44)
        var bytes = 0
        for index in 0..<n {
            let file = classFolder.appendingPathComponent(String(format: "%05d.jpg", index))
            if let existing = try? Data(contentsOf: file) {
                bytes += existing.count
                continue
            }
            let phase = Int(generator.next() % 64)
            let pixels = (0..<width * height * 3).map { i -> UInt8 in
                let (y, x, c) = (i / (width * 3), i / 3 % width, i % 3)
                return UInt8(truncatingIfNeeded: (x / 3 + y / 2 + phase) * (c + 1) + Int(generator.next() % 16))
            }
            let encoded = try jpeg(pixels, width: width, height: height)
            bytes += encoded.count
            try Data(encoded).write(to: file)
        }
        let spec = "folder:\(folder.path)@96"
        let dataset = try DatasetSpec(parsing: spec).open(split: .train)
        var image = [UInt8](repeating: 0, count: dataset.imageBytes)
        let decode = BenchCase(kernel: "decode[500x375→96]", size: "\(n) files", flops: 0, bytes: Double(bytes),
                               extraBytes: 0, items: n) {
            try image.withUnsafeMutableBytes { buffer in
                for index in 0..<n { try dataset.copyImage(at: index, into: buffer) }
            }
        }
        var configuration = try TrainingConfiguration.defaults(for: spec, method: "simclr")
        (configuration.batchSize, configuration.epochs) = (max(2, n / 4), 1000)
        let trainer = try Trainer(configuration, on: .cpu)
        let stream = BatchStream(trainer.loader)
        var (waited, stepped) = (0.0, 0.0)
        var step = BenchCase(kernel: "decode-step", size: "batch=\(configuration.batchSize)", flops: 0, bytes: 0,
                             extraBytes: 0, items: configuration.batchSize) {
            let start = DispatchTime.now().uptimeNanoseconds
            let batch = try stream.next()
            let ready = DispatchTime.now().uptimeNanoseconds
            _ = try trainer.trainStep(batch)
            waited += Double(ready - start) * 1e-9
            stepped += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        }
        step.note = {
            String(format: "  the step waited for data %.2f%% of its time (%.3f s of %.1f s, warm-up included)",
                   100 * waited / stepped, waited, stepped)
        }
        return [decode, step]
    }
}

/// The report's last line for `decode`: the cores the loader needs at the training step's rate.
func decodeShare(_ records: [BenchRecord]) -> [String] {
    guard let decode = records.first(where: { $0.kernel.hasPrefix("decode[") }),
          let step = records.first(where: { $0.kernel == "decode-step" }),
          let decoded = decode.itemsPerSecond, let trained = step.itemsPerSecond else { return [] }
    let cores: Int
    if case .cpu(let cpu) = Device.cpu.backend { cores = cpu.threads } else { cores = 1 }
    return [String(format: "decode: one core decodes %.0f images/s to 96×96; the ResNet-18 step at 96² trains %.1f "
                   + "images/s on all %d cores, so the loader needs %.3f of one core (%.1f%% of the machine)",
                   decoded, trained, cores, trained / decoded, 100 * trained / decoded / Double(cores))]
}
