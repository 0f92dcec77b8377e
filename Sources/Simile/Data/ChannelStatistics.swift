import Foundation

extension Dataset {
    /// The mean and standard deviation of each channel over the images' pixels scaled to [0, 1]: what
    /// normalisation subtracts and divides by. At most `sampleLimit` images are read, evenly spaced through the
    /// split (all of them when there are fewer), so that STL-10's 100,000 unlabelled images cost a sample's read;
    /// by default 10,000, and 1,000 for a streamed folder, whose every image is a decode. The images are read on
    /// all cores; sums are exact integers, so the result does not depend on the machine or the order.
    public func channelStatistics(sampleLimit: Int? = nil) throws -> (mean: [Float], std: [Float]) {
        let samples = Swift.min(count, Swift.max(1, sampleLimit ?? (isStreamed ? 1_000 : 10_000)))
        let plane = height * width
        let chunks = Swift.min(samples, Swift.max(1, ProcessInfo.processInfo.activeProcessorCount))
        var sums = [[Int]](repeating: [Int](repeating: 0, count: 2 * channels), count: chunks)
        var failures = [Error?](repeating: nil, count: chunks)
        sums.withUnsafeMutableBufferPointer { sums in
            failures.withUnsafeMutableBufferPointer { failures in
                DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                    var image = [UInt8](repeating: 0, count: imageBytes)
                    do {
                        for sample in stride(from: chunk, to: samples, by: chunks) {
                            try image.withUnsafeMutableBytes { try copyImage(at: sample * count / samples, into: $0) }
                            for channel in 0..<channels {
                                for value in image[(channel * plane)..<((channel + 1) * plane)] {
                                    sums[chunk][2 * channel] += Int(value)
                                    sums[chunk][2 * channel + 1] += Int(value) * Int(value)
                                }
                            }
                        }
                    } catch {
                        failures[chunk] = error
                    }
                }
            }
        }
        if let failure = failures.lazy.compactMap({ $0 }).first { throw failure }
        let totals = (0..<2 * channels).map { index in sums.reduce(0) { $0 + $1[index] } }
        let pixels = Double(samples * plane)
        let mean = (0..<channels).map { Double(totals[2 * $0]) / pixels / 255 }
        let std = (0..<channels).map { channel in
            Swift.max(Double(totals[2 * channel + 1]) / pixels / (255 * 255) - mean[channel] * mean[channel], 0)
                .squareRoot()
        }
        return (mean.map(Float.init), std.map { Float(Swift.max($0, 1e-6)) })
    }
}
