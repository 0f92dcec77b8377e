import Testing
@testable import Simile

/// `cutPatches` against slicing written out as plain loops, and the row helpers PIRL cuts its views with.
@Suite struct PatchesTests {
    /// The patches of x [N, C, H, W] by their definition, one index at a time.
    static func slices(_ x: [Float], shape: [Int], size: Int, step: Int, grid: (Int, Int)) -> [Float] {
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        var out: [Float] = []
        for image in 0..<n {
            for i in 0..<grid.0 {
                for j in 0..<grid.1 {
                    for channel in 0..<c {
                        for y in 0..<size {
                            for xx in 0..<size { out.append(x[((image * c + channel) * h + i * step + y) * w + j * step + xx]) }
                        }
                    }
                }
            }
        }
        return out
    }

    @Test("patches equal the image's slices: PIRL's packed 3×3 jigsaw, CPC's overlapping 7×7 grid, a ragged one",
          arguments: TestBackend.allCases)
    func matchesSlicing(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let cases: [(shape: [Int], size: Int, step: Int, grid: (Int, Int))] = [
            ([3, 1, 28, 28], 7, 7, (3, 3)),
            ([2, 3, 32, 32], 8, 4, (7, 7)),
            ([2, 2, 9, 13], 3, 5, (2, 3)),
            ([1, 1, 1, 1], 1, 1, (1, 1)),
        ]
        for (shape, size, step, grid) in cases {
            let x = randomValues(shape.reduce(1, *), seed: 60)
            let out = try cutPatches(Tensor(x, shape: shape, on: device), size: size, step: step, grid: grid)
            #expect(out.shape == [shape[0] * grid.0 * grid.1, shape[1], size, size])
            #expect(try out.toArray() == Self.slices(x, shape: shape, size: size, step: step, grid: grid), "\(shape)")
        }
    }

    @Test("a grid that leaves the image, or sizes below 1, are one clear error", arguments: TestBackend.allCases)
    func badGrids(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let x = try Tensor.zeros([2, 1, 9, 9], on: device)
        for (size, step, grid) in [(4, 3, (3, 3)), (0, 1, (1, 1)), (3, 0, (2, 2)), (3, 3, (0, 3)), (10, 1, (1, 1)),
                                   (1, Int.max, (2, 1)), (1, 1, (Int.max, 1))] {
            expectError(.invalidArgument("cutPatches: a \(grid.0)×\(grid.1) grid of \(size)-pixel patches \(step) pixels "
                                         + "apart must have positive sizes and fit the 9×9 images of [2, 1, 9, 9]")) {
                _ = try cutPatches(x, size: size, step: step, grid: grid)
            }
        }
        expectError(.shapeMismatch(op: "cutPatches", detail: "x must be 4-D, got shape [81]")) {
            _ = try cutPatches(Tensor.zeros([81], on: device), size: 1, step: 1, grid: (1, 1))
        }
    }

    @Test("rowBlock copies a block of rows of any rank; stackingRows puts 2-D blocks one after the other",
          arguments: TestBackend.allCases)
    func rows(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        let x = randomValues(4 * 2 * 3, seed: 61)
        let block = try rowBlock(Tensor(x, shape: [4, 2, 3], on: device), 1..<3)
        #expect(block.shape == [2, 2, 3])
        #expect(try block.toArray() == Array(x[6..<18]))
        let a = try Tensor(Array(x[0..<6]), shape: [2, 3], on: device)
        let b = try Tensor(Array(x[6..<15]), shape: [3, 3], on: device)
        let stacked = try stackingRows([a, b])
        #expect(stacked.shape == [5, 3])
        #expect(try stacked.toArray() == Array(x[0..<15]))
    }
}
