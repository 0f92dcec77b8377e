import Simile

extension BenchKernel {
    /// One optimiser step over a Linear(n, n) layer's parameters (n×n weight and n bias, gradients from
    /// one backward pass), preceded by `copy`, a same-device copy of the n×n weight, so that the report
    /// gives the step's GB/s next to the device's copy bandwidth from the same run.
    /// Bytes are the minimum traffic per element: copy 2 words; SGD with momentum reads p, g, buf and
    /// writes p, buf (5); LARS adds its norm pass over p and g (7); AdamW reads p, g, m, v and writes
    /// p, m, v (7). FLOPs: SGD 5, LARS 9, AdamW 14 per element.
    func optimizerCases(n: Int, on device: Device) throws -> [BenchCase] {
        var generator = SeededGenerator(seed: 11)
        let layer = try Linear(n, n, on: device, generator: &generator)
        let (_, record) = try layer.recordedForward(try Tensor.uniform([1, n], low: -1, high: 1, seed: 12, on: device))
        _ = try record.backward(try Tensor.uniform([1, n], low: -1, high: 1, seed: 13, on: device))
        let elements = Double(n * n + n), word = 4.0, size = "\(n)x\(n)+\(n)"
        let weight = layer.weight.value
        let copy = BenchCase(kernel: "copy", size: "\(n)x\(n)", flops: 0, bytes: 2 * word * Double(n * n), extraBytes: 0) {
            _ = try weight.to(device)
        }
        let rules: [BenchKernel: (OptimizerRule, flops: Double, words: Double)] = [
            .sgd: (.sgd(momentum: 0.9), 5, 5), .lars: (.lars(), 9, 7), .adamw: (.adamw(), 14, 7),
        ]
        guard let (rule, flops, words) = rules[self] else { return [copy] }
        let optimizer = try Optimizer(rule, layer.namedParameters(), learningRate: 1e-6, weightDecay: 1e-6)
        return [copy, BenchCase(kernel: rawValue, size: size, flops: flops * elements, bytes: words * word * elements,
                                extraBytes: 0) { try optimizer.step() }]
    }
}
