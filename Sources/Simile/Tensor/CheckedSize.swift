/// Element and byte counts come from shapes that users choose, and their products can exceed `Int`, where
/// Swift traps. Every count that sizes an allocation is computed here, overflow-checked, so an impossible
/// size is one error naming what was asked for instead of a crash.
enum CheckedSize {
    /// The number of elements of `shape`: a negative dimension or a product beyond `Int.max` is an error.
    static func elements(_ shape: [Int]) throws -> Int {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw SimileError.invalidArgument("invalid tensor shape \(shape): dimensions must be ≥ 0")
        }
        guard let count = product(shape) else {
            throw SimileError.invalidArgument(
                "invalid tensor shape \(shape): more than \(Int.max) elements (the 64-bit limit)")
        }
        return count
    }

    /// The bytes of `count` float32 values, for an allocation described by `what`.
    static func floatBytes(_ count: Int, of what: @autoclosure () -> String) throws -> Int {
        guard count >= 0 else { throw SimileError.invalidArgument("\(what()): negative element count \(count)") }
        guard let bytes = product([count, MemoryLayout<Float>.stride]) else {
            throw SimileError.outOfMemory("\(what()) needs more than \(Int.max) bytes")
        }
        return bytes
    }

    /// `bytes` (≥ 0) rounded up to a multiple of `granule`, a power of two.
    static func roundedUp(_ bytes: Int, to granule: Int) throws -> Int {
        let (padded, overflow) = bytes.addingReportingOverflow(granule - 1)
        guard bytes >= 0, !overflow else {
            throw SimileError.outOfMemory("cannot allocate \(bytes) bytes: more than any device can hold")
        }
        return padded & ~(granule - 1)
    }

    /// The product of non-negative `factors`, or nil when it does not fit in an `Int`.
    static func product(_ factors: [Int]) -> Int? {
        if factors.contains(0) { return 0 }
        var total = 1
        for factor in factors {
            let (result, overflow) = total.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            total = result
        }
        return total
    }
}
