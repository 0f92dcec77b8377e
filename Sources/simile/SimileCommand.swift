import ArgumentParser
import Simile

@main
struct SimileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simile",
        abstract: "Self-supervised contrastive image models on OpenCL GPUs, with a BLAS CPU fallback.",
        subcommands: [DevicesCommand.self, CheckCommand.self, TuneCommand.self, LossCommand.self, InspectCommand.self, AugmentCommand.self, TrainCommand.self, EmbedCommand.self, EvalCommand.self]
    )

    /// OpenBLAS may have picked too old a CPU core's kernels (`OpenBLASCore`): then this starts again with the
    /// right one before anything else runs.
    static func main() {
        OpenBLASCore.relaunchWithCorrectedCore()
        main(nil)
    }
}
