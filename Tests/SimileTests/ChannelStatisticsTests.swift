import Testing
@testable import Simile

/// `channelStatistics` against float64 loops over the images it samples.
@Suite struct ChannelStatisticsTests {
    @Test(arguments: [nil, 3] as [Int?])
    func matchesFloat64(sampleLimit: Int?) throws {
        var generator = SeededGenerator(seed: 9)
        let (count, channels, side) = (7, 3, 5)
        let pixels = (0..<count * channels * side * side).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let dataset = try Dataset(name: "noise", images: pixels, channels: channels, height: side, width: side)
        let sampled = sampleLimit.map { limit in (0..<limit).map { $0 * count / limit } } ?? Array(0..<count)
        let (mean, std) = try dataset.channelStatistics(sampleLimit: sampleLimit)
        let plane = side * side
        for channel in 0..<channels {
            var values: [Double] = []
            for image in sampled {
                let start = (image * channels + channel) * plane
                for value in pixels[start ..< start + plane] { values.append(Double(value) / 255) }
            }
            let expectedMean: Double = values.reduce(0, +) / Double(values.count)
            var squares = 0.0
            for value in values { squares += (value - expectedMean) * (value - expectedMean) }
            let expectedStd = (squares / Double(values.count)).squareRoot()
            #expect(abs(Double(mean[channel]) - expectedMean) < 1e-6 && abs(Double(std[channel]) - expectedStd) < 1e-6,
                    "channel \(channel): \(mean[channel]) \(std[channel]) against \(expectedMean) \(expectedStd)")
        }
    }
}
