import COpenCL
import Kernels

/// Per-feature standardisation as scikit-learn's StandardScaler does it: statistics from the train features, the
/// same map applied to train and test. x̂[r, c] = (x[r, c] − mean[c]) · inverseStd[c], with the population
/// standard deviation; a constant feature (variance 0, as a dead ReLU unit gives) keeps inverseStd = 1, so it
/// maps to 0 rather than to ∞ · 0.
struct FeatureStandardization {
    /// [d] on the features' device.
    let mean: Tensor
    /// [d] on the features' device.
    let inverseStd: Tensor

    /// The statistics of x [N, d]. Sums are taken around each column's first value K (the shifted-data algorithm:
    /// mean = K + S1/N, var = S2/N − (S1/N)² with S1 = Σ(x − K), S2 = Σ(x − K)²), which gives a constant column a
    /// variance of exactly 0 and loses little precision when a feature's mean is large against its spread.
    init(fitting x: Tensor) throws {
        let rows = x.shape[0], cols = x.shape[1]
        mean = try Tensor(uninitialized: [cols], on: x.device)
        inverseStd = try Tensor(uninitialized: [cols], on: x.device)
        switch x.device.backend {
        case .cpu(let cpu):
            let source = x.hostPointer, means = mean.hostPointer, inverse = inverseStd.hostPointer
            cpu.parallelFor(cols, work: x.count) { range in
                for c in range {
                    let shift = Double(source[c])
                    var s1 = 0.0, s2 = 0.0
                    for r in 0..<rows {
                        let centred = Double(source[r * cols + c]) - shift
                        s1 += centred
                        s2 += centred * centred
                    }
                    let m = s1 / Double(rows), variance = max(s2 / Double(rows) - m * m, 0)
                    means[c] = Float(shift + m)
                    inverse[c] = variance > 0 ? Float(1 / variance.squareRoot()) : 1
                }
            }
        case .opencl(let cl):
            try cl.launch(try cl.linearProbeKernel("column_moments"), name: "column_moments", global: [cols],
                          local: [min(64, cl.info.maxWorkGroupSize)],
                          [.buffer(x.clBuffer), .int(rows), .int(cols), .buffer(mean.clBuffer), .buffer(inverseStd.clBuffer)])
        }
    }

    /// x [N, d] standardised with these statistics, as a new tensor.
    func apply(_ x: Tensor) throws -> Tensor {
        let cols = x.shape[1], y = try Tensor(uninitialized: x.shape, on: x.device)
        switch x.device.backend {
        case .cpu(let cpu):
            let source = x.hostPointer, destination = y.hostPointer, means = mean.hostPointer, inverse = inverseStd.hostPointer
            cpu.parallelFor(x.shape[0], work: x.count) { range in
                for r in range {
                    for c in 0..<cols { destination[r * cols + c] = (source[r * cols + c] - means[c]) * inverse[c] }
                }
            }
        case .opencl(let cl):
            guard x.count > 0 else { break }
            try cl.launch(try cl.linearProbeKernel("standardize"), name: "standardize", global: [x.count],
                          local: [min(256, cl.info.maxWorkGroupSize)],
                          [.buffer(x.clBuffer), .buffer(mean.clBuffer), .buffer(inverseStd.clBuffer), .int(cols),
                           .int(x.count), .buffer(y.clBuffer)])
        }
        return y
    }
}

extension OpenCLBackend {
    /// A kernel of linear_probe.cl.
    func linearProbeKernel(_ name: String) throws -> cl_kernel {
        try kernel(name, program: "linear_probe", source: KernelSource.linearProbe)
    }
}
