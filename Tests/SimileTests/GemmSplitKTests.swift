import Testing
@testable import Simile

/// Split-K: each K slice's product in its own partial buffer, summed in slice order by gemm_split_k_reduce.
@Suite struct GemmSplitKTests {
    @Test("a forced split matches float64 for every kernel, slice count, alpha and beta",
          arguments: GemmKernel.allCases, [2, 3, 7])
    func forcedSplit(kernel: GemmKernel, slices: Int) throws {
        guard let device = try TestBackend.opencl.open(), let cl = device.openCL else { return }
        for (m, n, k) in [(7, 33, 257), (33, 1, 600), (1, 5, 40)] {
            let a = randomValues(m * k, seed: 4), b = randomValues(k * n, seed: 5), c = randomValues(m * n, seed: 6)
            for beta in [0.0, 0.5] {
                let expected = Reference.gemm(a.map(Double.init), [m, k], b.map(Double.init), [k, n],
                                              c.map(Double.init), transposeA: false, transposeB: false,
                                              alpha: 1.5, beta: beta)
                let result = try Tensor(beta == 0 ? [Float](repeating: .nan, count: m * n) : c, shape: [m, n], on: device)
                try gemm(Tensor(a, shape: [m, k], on: device), Tensor(b, shape: [k, n], on: device), into: result,
                         transposeA: false, transposeB: false, alpha: 1.5, beta: Float(beta),
                         variant: GemmVariant(kernel, device: cl.info), slices: slices)
                expectClose(try result.toArray(), expected, tolerance: 2e-5,
                            "\(kernel) \(m)x\(n)x\(k) in \(slices) slices, beta \(beta)")
            }
        }
    }

    @Test("a split product is the same, bit for bit, on every run", arguments: GemmKernel.allCases)
    func deterministic(kernel: GemmKernel) throws {
        guard let device = try TestBackend.opencl.open(), let cl = device.openCL else { return }
        let (m, n, k) = (9, 17, 3000)
        let a = try Tensor(randomValues(m * k, seed: 7), shape: [m, k], on: device)
        let b = try Tensor(randomValues(k * n, seed: 8), shape: [k, n], on: device)
        var runs: [[Float]] = []
        for _ in 0..<3 {
            let c = try Tensor(uninitialized: [m, n], on: device)
            try gemm(a, b, into: c, transposeA: false, transposeB: false, alpha: 1, beta: 0,
                     variant: GemmVariant(kernel, device: cl.info), slices: 5)
            runs.append(try c.toArray())
        }
        #expect(runs.allSatisfy { $0.map(\.bitPattern) == runs[0].map(\.bitPattern) })
    }

    @Test("the split fills the waves of a GPU for a weight gradient, and leaves a wide product whole")
    func splitPolicy() {
        let variant = GemmVariant(.tiled(tile: (64, 64), depth: 16, item: (4, 4), splitWaves: 4))
        // ResNet-18's stem weight gradient at batch 512: 64 × 27 filters, K = 512 · 32 · 32, on 132 compute units.
        let stem = variant.split(m: 64, n: 27, depth: 524_288, computeUnits: 132)
        // One 64×64 tile needs 528 slices for 4 waves; rounding each slice up to the 16-deep stage leaves a few fewer.
        #expect(stem.slices > 3 * 132 && stem.slices <= 4 * 132, "about 528 slices for 4 waves, got \(stem.slices)")
        #expect(stem.sliceDepth % 16 == 0 && stem.slices * stem.sliceDepth >= 524_288
                && (stem.slices - 1) * stem.sliceDepth < 524_288)
        // A forward convolution: 64 × 131,072 outputs already make 2,048 tiles.
        #expect(variant.split(m: 64, n: 131_072, depth: 576, computeUnits: 132).slices == 1)
        // Too short a K to be worth a slice of 256, or no split asked for.
        #expect(variant.split(m: 64, n: 27, depth: 400, computeUnits: 132).slices == 1)
        #expect(GemmVariant(variant.parameters.splitting(toWaves: 0)).split(m: 64, n: 27, depth: 524_288,
                                                                           computeUnits: 132).slices == 1)
        // The partial products stay within their memory bound: 2048 × 2048 outputs take 16 MiB per slice.
        let big = variant.split(m: 2048, n: 2048, depth: 1 << 20, computeUnits: 100_000)
        #expect(big.slices * 2048 * 2048 * 4 <= GemmVariant.partialBytesLimit)
    }
}
