import Testing
@testable import Simile

@Suite struct ConstantPadTests {
    static let paddings: [MapPadding] = [
        MapPadding(rows: (1, 0)),                                 // CPC's row on top
        MapPadding(columns: (1, 1)),                              // a 1×3 convolution's sides
        MapPadding(channels: (0, 3)),                             // a zero-padded shortcut's channels
        MapPadding(channels: (2, 1), rows: (0, 2), columns: (3, 0)),
    ]

    /// out[n, c, h, w] = x[n, c − cb, h − hb, w − wb] inside x, else `value`, in plain loops.
    private func reference(_ x: [Float], _ shape: [Int], _ p: MapPadding, value: Float) -> [Float] {
        let out = p.padded(shape)
        var result: [Float] = []
        for n in 0..<out[0] {
            for c in 0..<out[1] {
                for h in 0..<out[2] {
                    for w in 0..<out[3] {
                        let (sc, sh, sw) = (c - p.channels.before, h - p.rows.before, w - p.columns.before)
                        let inside = (0..<shape[1]).contains(sc) && (0..<shape[2]).contains(sh) && (0..<shape[3]).contains(sw)
                        result.append(inside ? x[((n * shape[1] + sc) * shape[2] + sh) * shape[3] + sw] : value)
                    }
                }
            }
        }
        return result
    }

    @Test("the padded map matches plain loops, and the backward pass is its adjoint: ⟨pad(x), dy⟩ = ⟨x, crop(dy)⟩",
          arguments: TestBackend.allCases, paddings)
    func matchesReference(backend: TestBackend, padding: MapPadding) throws {
        guard let device = try backend.open() else { return }
        let shape = [2, 3, 4, 5]
        let x = randomValues(shape.reduce(1, *), seed: 110)
        let out = try constantPad(Tensor(x, shape: shape, on: device), padding, value: -0.5)
        #expect(out.shape == padding.padded(shape))
        #expect(try out.toArray() == reference(x, shape, padding, value: -0.5))
        let dy = randomValues(out.count, seed: 111)
        let dx = try constantPadBackward(Tensor(dy, shape: out.shape, on: device), padding, inputShape: shape).toArray()
        let padded = reference(x, shape, padding, value: 0)
        let left = zip(padded, dy).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let right = zip(x, dx).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(left - right) < 1e-9 * max(1, abs(left)), "⟨pad(x), dy⟩ \(left) against ⟨x, crop(dy)⟩ \(right)")
    }

    @Test("the layer pads forward and crops backward; a 1×3 convolution after a column each side keeps the width",
          arguments: TestBackend.allCases)
    func layer(backend: TestBackend) throws {
        guard let device = try backend.open() else { return }
        var generator = SeededGenerator(seed: 3)
        let conv = try Conv2d(2, 3, kernel: (1, 3), bias: false, on: device, generator: &generator)
        #expect(conv.weight.value.shape == [3, 2, 1, 3])
        let net = Sequential([ConstantPad(MapPadding(columns: (1, 1))), conv])
        let (y, record) = try net.recordedForward(Tensor(randomValues(2 * 2 * 3 * 4, seed: 5), shape: [2, 2, 3, 4],
                                                         on: device))
        #expect(y.shape == [2, 3, 3, 4])
        #expect(try record.backward(Tensor.full(y.shape, 1, on: device)).shape == [2, 2, 3, 4])
    }

    @Test("bad input is one clear error")
    func badInput() throws {
        let x = try Tensor.zeros([1, 2, 3, 3], on: .cpu)
        expectError(.invalidArgument("constantPad: padding sides must be ≥ 0, got channels 0+0, rows -1+0, columns 0+0")) {
            _ = try constantPad(x, MapPadding(rows: (-1, 0)))
        }
        expectError(.invalidArgument("constantPad: value must be finite, got nan")) {
            _ = try constantPad(x, MapPadding(rows: (1, 0)), value: .nan)
        }
        expectError(.shapeMismatch(op: "constantPadBackward",
                                   detail: "dy [1, 2, 3, 3] is not [1, 2, 3, 3] padded by channels 0+0, rows 1+0, columns 0+0")) {
            _ = try constantPadBackward(x, MapPadding(rows: (1, 0)), inputShape: [1, 2, 3, 3])
        }
    }
}
