import Foundation

/// A small, fast, seedable generator (SplitMix64). Initial values are drawn on the host, so a model
/// seeded the same way starts from identical weights on every backend.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 24 random bits.
    public mutating func nextUnitFloat() -> Float { Float(next() >> 40) * 0x1p-24 }
}

extension Tensor {
    /// Values uniform in [low, high), drawn on the host from `seed`.
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1, seed: UInt64,
                               on device: Device) throws -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return try drawn(shape, on: device) { low + (high - low) * generator.nextUnitFloat() }
    }

    /// Values from a normal distribution (Box–Muller), drawn on the host from `seed`.
    public static func normal(_ shape: [Int], mean: Float = 0, standardDeviation: Float = 1, seed: UInt64,
                              on device: Device) throws -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return try drawn(shape, on: device) {
            let u1 = 1 - generator.nextUnitFloat()
            let u2 = generator.nextUnitFloat()
            return mean + standardDeviation * (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        }
    }

    /// A tensor filled in row-major order by `next`. The tensor (and, for OpenCL, a host staging tensor) is
    /// allocated before any value is drawn, so an impossible shape fails at once, through the same checks
    /// as every other tensor.
    private static func drawn(_ shape: [Int], on device: Device, _ next: () -> Float) throws -> Tensor {
        let tensor = try Tensor(uninitialized: shape, on: device)
        let host = device.openCL == nil ? tensor : try Tensor(uninitialized: shape, on: .cpu)
        let values = host.hostPointer
        for index in 0..<host.count { values[index] = next() }
        if host !== tensor { try tensor.upload(from: values) }
        return tensor
    }
}
