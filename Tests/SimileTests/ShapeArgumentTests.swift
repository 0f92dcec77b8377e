import Testing
@testable import Simile

/// Ops that take sizes as arguments (the backward passes' `inputShape`, windows, padding) check them as strictly
/// as a tensor's shape, before any arithmetic on them can overflow.
@Suite struct ShapeArgumentTests {
    @Test("an input shape beyond the kernels' 32-bit sizes or beyond Int is one error, not an overflow trap")
    func hugeInputShapes() throws {
        let dy = try Tensor.zeros([1, 1], on: .cpu), pooled = try Tensor.zeros([1, 1, 1, 1], on: .cpu)
        let wide = [1, 1, 1 << 32, 1 << 32]
        expectError(.invalidArgument("globalAvgPoolBackward: inputShape \(wide) has a size above 2147483647, the most OpenCL kernels take")) {
            _ = try globalAvgPoolBackward(dy, inputShape: wide)
        }
        let many = [1 << 30, 1 << 30, 1 << 30, 1 << 30]
        let tooMany = SimileError.invalidArgument("invalid tensor shape \(many): more than \(Int.max) elements (the 64-bit limit)")
        expectError(tooMany) { _ = try maxPool2dBackward(pooled, argmax: pooled, inputShape: many) }
        expectError(tooMany) { _ = try conv2dBackwardInput(pooled, weight: pooled, inputShape: many) }
    }

    @Test("a padding or window beyond the kernels' 32-bit sizes is one error")
    func hugePadding() throws {
        let x = try Tensor.zeros([1, 1, 2, 2], on: .cpu), weight = try Tensor.zeros([1, 1, 1, 1], on: .cpu)
        expectError(.invalidArgument("conv2d: padding [\(Int.max)] has a size above 2147483647, the most OpenCL kernels take")) {
            _ = try conv2d(x, weight: weight, bias: nil, padding: Int.max)
        }
        expectError(.invalidArgument("maxPool2d: kernelSize [\(Int.max)] has a size above 2147483647, the most OpenCL kernels take")) {
            _ = try maxPool2d(x, kernelSize: Int.max, stride: 1, padding: Int.max / 2)
        }
    }
}
