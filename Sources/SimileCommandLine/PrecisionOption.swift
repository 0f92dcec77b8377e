import ArgumentParser
import Simile

extension Precision: ExpressibleByArgument {}

/// `--precision` for the commands that train or time (`simile train`, `simile-bench`): how the device's GEMMs and
/// convolutions multiply. Not part of a run's configuration, as the device is not: a run may resume in another.
public struct PrecisionOption: ParsableArguments {
    @Option(help: """
        fp32 (products exact to float32) or tf32 (NVIDIA tensor cores of compute capability ≥ 8.0: operands rounded \
        to 10 mantissa bits, sums in float32; PyTorch's default for cuDNN convolutions). tf32 is refused where it \
        cannot run. Default: fp32.
        """)
    public var precision: Precision = .fp32

    public init() {}

    /// Sets the precision on `device`: one clear error where tf32 cannot run there.
    public func apply(to device: Device) throws {
        try device.setPrecision(precision)
    }
}
