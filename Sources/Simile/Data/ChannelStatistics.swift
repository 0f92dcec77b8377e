extension Dataset {
    /// The mean and standard deviation of each channel over the images' pixels scaled to [0, 1]: what
    /// normalisation subtracts and divides by. At most `sampleLimit` images are read, evenly spaced through the
    /// split (all of them when there are fewer), so that STL-10's 100,000 unlabelled images cost a sample's read.
    /// Sums are in double; the result does not depend on the machine.
    public func channelStatistics(sampleLimit: Int = 10_000) throws -> (mean: [Float], std: [Float]) {
        let samples = Swift.min(count, Swift.max(1, sampleLimit))
        let plane = height * width
        var sums = [Double](repeating: 0, count: channels), squares = sums
        var image = [UInt8](repeating: 0, count: imageBytes)
        for sample in 0..<samples {
            try image.withUnsafeMutableBytes { try copyImage(at: sample * count / samples, into: $0) }
            for channel in 0..<channels {
                var sum = 0, square = 0
                for value in image[(channel * plane)..<((channel + 1) * plane)] {
                    sum += Int(value)
                    square += Int(value) * Int(value)
                }
                sums[channel] += Double(sum)
                squares[channel] += Double(square)
            }
        }
        let pixels = Double(samples * plane)
        let mean = sums.map { $0 / pixels / 255 }
        let std = zip(squares, mean).map { square, mean in
            Swift.max(square / pixels / (255 * 255) - mean * mean, 0).squareRoot()
        }
        return (mean.map(Float.init), std.map { Float(Swift.max($0, 1e-6)) })
    }
}
