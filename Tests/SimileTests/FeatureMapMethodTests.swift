import Testing
@testable import Simile

/// The methods that compare feature maps location by location (YADIM): training on both backends, and the
/// comparisons they share with AMDIM.
@Suite struct FeatureMapMethodTests {
    @Test("two epochs on digits: finite, decreasing loss, on each backend", arguments: ["yadim"], TestBackend.allCases)
    func trains(method: String, backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        var config = try TrainingConfiguration.defaults(for: "digits", method: method)
        (config.epochs, config.batchSize, config.trainSubset) = (2, 64, 256)
        let trainer = try Trainer(config, on: device)
        var losses: [Float] = []
        try trainer.run { losses.append($0.loss) }
        #expect(losses.allSatisfy(\.isFinite) && losses[1] < losses[0], "\(method) on \(backend): \(losses)")
    }

    @Test("YADIM trains with AMDIM's optimiser: Adam at lr 2e-4 with betas (0.8, 0.999), --momentum being β1")
    func optimiser() throws {
        let trainer = try Trainer(TrainingConfiguration.defaults(for: "digits", method: "yadim"), on: .cpu)
        #expect(trainer.optimizer.rule == .adamw(beta1: 0.8, beta2: 0.999, eps: 1e-8))
        #expect(trainer.configuration.learningRate == 2e-4 && trainer.configuration.weightDecay == 0)
    }

    /// Its gradients reach each view's map as the source of one direction and the target of the other.
    @Test("a comparison runs both ways at ½ each, from the locations its seed and step draw", arguments: TestBackend.allCases)
    func comparison(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let (b, d) = (3, 4)
        let maps = try Tensor(randomValues(2 * b * d * 2 * 3, seed: 7), shape: [2 * b, d, 2, 3], on: device)
        let comparisons = FeatureMapComparisons(pairs: [(0, 0)], tclip: 20, seed: 5)
        let (loss, gradients) = try comparisons.loss([maps], step: 3)
        let draws = comparisons.sourceLocations(step: 3, images: b, sizes: [6])
        #expect(draws != comparisons.sourceLocations(step: 4, images: b, sizes: [6]), "each step draws anew")
        let views = [try rowBlock(maps, 0..<b), try rowBlock(maps, b..<2 * b)]
        var expectedLoss: Float = 0
        var expected = [try Tensor.zeros([b, d, 2, 3], on: device), try Tensor.zeros([b, d, 2, 3], on: device)]
        for view in 0..<2 {
            let at = try RowIndices(draws[view], rows: 6, on: device)
            let direction = try featureMapContrastiveLoss(sources: pickLocations(views[view], at: at),
                                                          targets: views[1 - view], tclip: 20, weight: 0.5)
            expectedLoss += try direction.value()
            try axpy(1, placeLocations(direction.sourceGradient, at: at, height: 2, width: 3), expected[view])
            try axpy(1, direction.targetGradient, expected[1 - view])
        }
        expectClose([try loss.value()], [Double(expectedLoss)], tolerance: 1e-6, "loss")
        expectClose(try gradients[0].toArray(), try stackingRows(expected).toArray().map(Double.init), tolerance: 1e-6,
                    "dmaps")
    }
}
