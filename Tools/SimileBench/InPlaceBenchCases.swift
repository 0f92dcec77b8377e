import Simile

extension BenchKernel {
    /// `lerp` (one EMA step, target = m·target + (1 − m)·online) or `scale-add` (y = a·y + b·x) over n×n
    /// elements, preceded by `copy-into`, the in-place `copy(_:into:)` of the same n×n tensor, so that the
    /// report gives their GB/s next to the device's copy bandwidth from the same run. Bytes are the minimum
    /// traffic per element: copy reads 1 word and writes 1; lerp and scale-add read 2 and write 1. FLOPs: 3
    /// per element (two products and a sum). Lerp moves the target toward a fixed tensor, so repeated runs
    /// stay finite, as scale-add's a + b = 1 keeps y bounded.
    func inPlaceCases(n: Int, on device: Device) throws -> [BenchCase] {
        let x = try Tensor.uniform([n, n], low: -1, high: 1, seed: 1, on: device)
        let y = try Tensor.uniform([n, n], low: -1, high: 1, seed: 2, on: device)
        let elements = Double(n * n), word = 4.0, size = "\(n)x\(n)"
        let copyCase = BenchCase(kernel: "copy-into", size: size, flops: 0, bytes: 2 * word * elements, extraBytes: 0) {
            try Simile.copy(x, into: y)
        }
        let update: () throws -> Void = self == .lerp
            ? { try Simile.lerp(y, toward: x, momentum: 0.99) }
            : { try Simile.scaleAdd(y, scale: 0.5, plus: x, times: 0.5) }
        return [copyCase, BenchCase(kernel: rawValue, size: size, flops: 3 * elements, bytes: 3 * word * elements,
                                    extraBytes: 0, run: update)]
    }
}
