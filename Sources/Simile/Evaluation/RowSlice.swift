/// Rows `range` of the matrix x, copied into a new [range.count, cols] tensor on x's device: the evaluations walk
/// their test sets in bounded chunks through ops (`gemm`, `linear`) that take whole tensors.
func rowSlice(_ x: Tensor, _ range: Range<Int>) throws -> Tensor {
    precondition(x.shape.count == 2 && range.lowerBound >= 0 && range.upperBound <= x.shape[0], "rowSlice \(range) of \(x.shape)")
    let cols = x.shape[1]
    let slice = try Tensor(uninitialized: [range.count, cols], on: x.device)
    switch x.device.backend {
    case .cpu:
        slice.hostPointer.update(from: x.hostPointer + range.lowerBound * cols, count: slice.count)
    case .opencl(let cl):
        try cl.copy(x.clBuffer, to: slice.clBuffer, count: slice.count, sourceOffset: range.lowerBound * cols)
    }
    return slice
}
