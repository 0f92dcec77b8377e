import Testing
@testable import Simile

/// `OpenBLASCore.correction`: which of OpenBLAS's core choices Simile overrides, and with what.
@Suite struct OpenBLASCoreTests {
    @Test("a core without AVX2 kernels on an AVX2 or AVX-512 CPU is corrected; wide, unknown or fitting cores stand")
    func corrections() {
        #expect(OpenBLASCore.correction(core: "Prescott", widest: .avx512, environment: [:]) == "SkylakeX")
        #expect(OpenBLASCore.correction(core: "prescott", widest: .avx2, environment: [:]) == "Haswell")
        #expect(OpenBLASCore.correction(core: "Sandybridge", widest: .avx2, environment: [:]) == "Haswell")
        #expect(OpenBLASCore.correction(core: "Prescott", widest: .baseline, environment: [:]) == nil)
        for core in ["Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids", "SomeFutureCore"] {
            #expect(OpenBLASCore.correction(core: core, widest: .avx512, environment: [:]) == nil, "\(core)")
        }
    }

    @Test("OPENBLAS_CORETYPE in the environment is the user's choice: never corrected")
    func userChoiceStands() {
        #expect(OpenBLASCore.correction(core: "Prescott", widest: .avx512,
                                        environment: ["OPENBLAS_CORETYPE": "Prescott"]) == nil)
    }
}
