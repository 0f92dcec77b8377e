import ArgumentParser
import Foundation
import Simile
import SimileCommandLine

/// `simile tune`: searches the OpenCL GEMM kernels' parameters for one device on the GEMMs of a model's training
/// step, and writes the winners to the device's tuning cache, which every command then uses.
struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Tune the OpenCL GEMM kernels for a device on a model's training step; every command uses the result.",
        discussion: """
            Checks every candidate of the search space against float64, times the correct ones on one forward and \
            backward pass of --model's encoder on --batch images (the device time of all its kernels, with the \
            candidate set for the GEMMs of one shape class), and writes the winner of each shape class to $XDG_CACHE_HOME/simile/tuning/<device>.json (or under \
            $SIMILE_CACHE_DIR). `simile devices` shows whether a device is tuned.
            """)

    @OptionGroup var device: DeviceOption

    @Option(help: "The encoder whose GEMMs are tuned: \(TrainingConfiguration.Model.allCases.map(\.rawValue).joined(separator: ", ")).")
    var model = TrainingConfiguration.Model.resnet18.rawValue

    // Numeric options parse `.unconditional`ly, so that "-5" reaches `validate` instead of reading as a flag.
    @Option(parsing: .unconditional, help: "Images per step.")
    var batch = 256

    @Option(parsing: .unconditional, help: "The images' side in pixels (default: 32, and 96 for resnet18-imagenet).")
    var imageSize: Int?

    @Option(name: .customLong("repeat"), parsing: .unconditional, help: "Timed runs per GEMM shape and candidate.")
    var repeats = 3

    private var encoder: TrainingConfiguration.Model? { TrainingConfiguration.Model(rawValue: model) }

    /// The smallest side the model's downsampling leaves at least one pixel of: the CIFAR stem halves 3 times,
    /// the ImageNet stem 5.
    private var side: Int { imageSize ?? (encoder == .resnet18ImageNet ? 96 : 32) }

    func validate() throws {
        guard let encoder else {
            throw ValidationError("--model must be one of "
                                  + "\(TrainingConfiguration.Model.allCases.map(\.rawValue).joined(separator: ", ")), got '\(model)'")
        }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
        let smallest = encoder == .resnet18ImageNet ? 32 : 8
        guard side >= smallest else {
            throw ValidationError("--image-size must be at least \(smallest) for \(model), got \(side)")
        }
        guard repeats >= 1 else { throw ValidationError("--repeat must be at least 1, got \(repeats)") }
    }

    func run() throws {
        let device = try device.open()
        let tuner = try GemmTuner(device, repeats: repeats)
        guard let info = device.openCLInfo else { return }
        let workload = "\(model) batch \(batch) at \(side)×\(side)"
        print("tuning the GEMM kernels of \(device) on \(workload)")
        let step = try GemmTuner.encoderStep(encoder!, batch: batch, imageSize: side, on: device)
        let winners = try tuner.tune(step) { print($0) }
        print("")
        for (shapeClass, winner) in winners.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            print(String(format: "%@: %@: %.3f ms per step (built-in %.3f ms, %.2f×)", shapeClass.rawValue,
                         winner.parameters.description, winner.tunedSeconds * 1e3, winner.defaultSeconds * 1e3,
                         winner.defaultSeconds / winner.tunedSeconds))
        }
        let record = GemmTuningRecord(key: GemmTuningCache.key(for: info), workload: workload, tunedAt: Date(), classes: winners)
        try GemmTuningCache.save(record, for: info)
        print("wrote \(GemmTuningCache.file(for: info).path)")
    }
}
