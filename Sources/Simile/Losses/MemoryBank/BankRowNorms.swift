import Kernels

/// 1 / max(‖b_j‖, eps) for each row of a 2-D tensor, as a [rows] tensor on its device: the memory-bank ops scale
/// the logits of a raw bank row by this instead of normalising a K × d copy of the bank.
func inverseRowNorms(_ bank: Tensor, eps: Float = 1e-12) throws -> Tensor {
    let rows = bank.shape[0], cols = bank.shape[1]
    let inverse = try Tensor(uninitialized: [rows], on: bank.device)
    switch bank.device.backend {
    case .cpu(let cpu):
        let source = bank.hostPointer, destination = inverse.hostPointer
        cpu.parallelFor(rows, work: bank.count) { range in
            for r in range {
                let row = source + r * cols
                destination[r] = 1 / max(contiguousDot(row, row, count: cols).squareRoot(), eps)
            }
        }
    case .opencl(let cl):
        let kernel = try cl.kernel("inverse_row_norms", program: "memory_bank", source: KernelSource.memoryBank)
        try cl.launch(kernel, name: "inverse_row_norms", global: [rows],
                      [.buffer(bank.clBuffer), .int(cols), .float(eps), .buffer(inverse.clBuffer)])
    }
    return inverse
}
