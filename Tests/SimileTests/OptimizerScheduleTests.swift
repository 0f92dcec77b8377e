import Foundation
import Testing
@testable import Simile

@Suite struct OptimizerScheduleTests {
    @Test func warmupThenCosineMatchesHandValues() throws {
        let schedule = LearningRateSchedule.warmupCosine(peak: 1, warmupSteps: 2, totalSteps: 6)
        try schedule.validate()
        // warm-up 1/2, 2/2; then (1 + cos(π·k/4))/2 for k = 0..3; then the final rate
        let expected: [Float] = [0.5, 1, 1, 0.853_553_4, 0.5, 0.146_446_6, 0, 0]
        for (step, value) in expected.enumerated() {
            #expect(abs(schedule.learningRate(at: step) - value) < 1e-6, "step \(step)")
        }
        let floored = LearningRateSchedule.warmupCosine(peak: 0.5, warmupSteps: 0, totalSteps: 4, final: 0.1)
        #expect(abs(floored.learningRate(at: 2) - 0.3) < 1e-6)
        #expect(LearningRateSchedule.constant(0.3).learningRate(at: 1000) == 0.3)
    }

    @Test func cosineMomentumRisesFromStartToEnd() {
        #expect(abs(cosineMomentum(step: 0, totalSteps: 10, start: 0.99, end: 1) - 0.99) < 1e-7)
        #expect(abs(cosineMomentum(step: 5, totalSteps: 10, start: 0.99, end: 1) - 0.995) < 1e-7)
        #expect(cosineMomentum(step: 10, totalSteps: 10, start: 0.99, end: 1) == 1)
        #expect(cosineMomentum(step: 12, totalSteps: 10, start: 0.99, end: 1) == 1)
        #expect(abs(cosineMomentum(step: 1, totalSteps: 4, start: 0.996, end: 1)
                    - Float(1 - 0.004 * (cos(Double.pi / 4) + 1) / 2)) < 1e-7)
        #expect(cosineMomentum(step: 3, totalSteps: 7, start: 0.99, end: 0.99) == 0.99)
    }

    @Test func batchScaling() {
        #expect(BatchScaling.linear.scale(0.3, batchSize: 512) == 0.6)
        #expect(BatchScaling.sqrt.scale(0.075, batchSize: 4096) == 4.8)
    }

    @Test func badSchedulesAreRejected() {
        expectError(.invalidArgument(
            "warm-up cosine schedule needs 0 ≤ warmupSteps ≤ totalSteps and totalSteps > 0, got 10 and 5")) {
            try LearningRateSchedule.warmupCosine(peak: 1, warmupSteps: 10, totalSteps: 5).validate()
        }
        expectError(.invalidArgument("peak learning rate must be ≥ 0 and finite, got -1.0")) {
            try LearningRateSchedule.warmupCosine(peak: -1, warmupSteps: 1, totalSteps: 5).validate()
        }
    }
}
