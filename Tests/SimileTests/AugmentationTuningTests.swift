import Testing
@testable import Simile

/// `AugmentationTuning`: the augmentation flags of `simile augment` and `simile train` over a preset.
@Suite struct AugmentationTuningTests {
    @Test("each flag changes its op and nothing else; none switches an op off")
    func apply() throws {
        let preset = AugmentationConfig.simclr(size: 96, channels: 3, mean: [0, 0, 0], std: [1, 1, 1])
        #expect(try AugmentationTuning().apply(to: preset) == preset)
        var expected = preset
        (expected.outputHeight, expected.outputWidth, expected.flipProbability) = (64, 64, 0.25)
        (expected.jitter, expected.blur) = (nil, nil)
        #expect(try AugmentationTuning(size: 64, flip: 0.25, jitter: "none", blur: "none").apply(to: preset) == expected)
        #expect(try AugmentationTuning(solarize: 0.2).apply(to: preset) == preset.with(solarizeProbability: 0.2))
        for bad in [-1, 1.5, .nan] {
            #expect(throws: SimileError.invalidArgument("--solarize must be a probability in [0, 1], got \(bad)")) {
                try AugmentationTuning(solarize: bad).validate()
            }
        }
    }

    @Test("validate refuses only what no images allow: a blur kernel fits the largest image, not a stand-in's size")
    func validate() throws {
        try AugmentationTuning(blur: "0.5,81,0.1,2").validate()
        let wide = AugmentationTuning(blur: "1,100001,0.1,2")
        try wide.validate()
        let digits = AugmentationConfig(outputHeight: 8, outputWidth: 8, channels: 1, crop: nil, flipProbability: 0,
                                        jitter: nil, grayscaleProbability: 0)
        #expect(throws: SimileError.invalidArgument("augmentation: blur kernel size 100001 needs reflect padding wider "
                                                    + "than the 8×8 output")) { try wide.apply(to: digits) }
        #expect(throws: SimileError.self) { try AugmentationTuning(size: 6, blur: "0.5,41,0.1,2").validate() }
        #expect(throws: SimileError.self) { try AugmentationTuning(jitter: "1,2").validate() }
        #expect(throws: SimileError.self) { try AugmentationTuning(flip: 1.5).validate() }
    }
}
