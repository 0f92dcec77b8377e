import ArgumentParser
import Foundation
import Simile
import SimileCommandLine

extension ContrastiveMethod: ExpressibleByArgument {}

/// `simile loss`: a contrastive loss and its gradient for embeddings in a .npy file, to cross-check
/// Simile against other implementations.
struct LossCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loss",
        abstract: "Compute NT-Xent, DCL or DCLW of Z (2N × d, view 1 then view 2) from a .npy file, and dLoss/dZ.")

    @Option(help: "The loss: ntxent, dcl or dclw.")
    var method: ContrastiveMethod

    // `.unconditional` takes "-1" as the value rather than as a flag, so `validate` can say what is wrong with it.
    @Option(parsing: .unconditional, help: "The temperature τ (positive).")
    var temperature: Float = 0.5

    @Option(parsing: .unconditional, help: "DCLW's σ (positive).")
    var sigma: Float = 0.5

    @Option(help: "Z as a .npy file of float32 or float64, shape (2N, d).")
    var input: String

    @Option(help: "Write dLoss/dZ here as a float32 .npy file (default: not written).")
    var gradOut: String?

    @OptionGroup var device: DeviceOption

    func validate() throws {
        try asValidationError {
            try validateTemperature(temperature, name: "--temperature")
            try validateTemperature(sigma, name: "--sigma")
        }
        try validateOutputPath(gradOut, option: "--grad-out")
    }

    func run() throws {
        let z = try NPY.readTensor(input, on: device.open())
        let result = try contrastiveLoss(z, method: method, temperature: temperature, sigma: sigma)
        print(String(format: "%.8g", try result.value()))
        if let gradOut { try NPY.write(result.gradient, to: gradOut) }
    }
}
