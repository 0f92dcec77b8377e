import ArgumentParser

@main
struct SimileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simile",
        abstract: "Self-supervised contrastive image models on OpenCL GPUs, with a BLAS CPU fallback.",
        subcommands: [DevicesCommand.self, CheckCommand.self, LossCommand.self, InspectCommand.self, AugmentCommand.self, TrainCommand.self, EmbedCommand.self, EvalCommand.self]
    )
}
