import Foundation
@testable import Simile
import SimileCommandLine
import Testing

/// The live line `simile train` draws on a terminal, and its absence elsewhere.
@Suite struct ProgressLineTests {
    private let progress = StepProgress(epoch: 3, epochs: 30, stepInEpoch: 17, stepsPerEpoch: 39, loss: 5.01234,
                                        embeddingStd: 0.08712, collapseThreshold: 0.0125, learningRate: 0.0598412,
                                        imagesPerSecond: 151.2, secondsLeftInEpoch: 3725)

    @Test("the line: epoch, bar, step, loss, lr, std, img/s and the epoch's ETA, within the terminal's width; a collapse warning")
    func render() {
        #expect(ProgressLine.render(progress, columns: 120)
                == "epoch 3/30 [########            ] 17/39  loss 5.0123  lr 0.05984  std 0.0871  151 img/s  ETA 1:02:05")
        let collapsing = StepProgress(epoch: 3, epochs: 30, stepInEpoch: 17, stepsPerEpoch: 39, loss: 5.01234,
                                      embeddingStd: 0.0012, collapseThreshold: 0.0125, learningRate: 0.0598412,
                                      imagesPerSecond: 151.2, secondsLeftInEpoch: 3725)
        #expect(ProgressLine.render(collapsing, columns: 120).contains("std 0.0012 COLLAPSING  151 img/s"))
        let narrow = ProgressLine.render(progress, columns: 88)
        #expect(narrow.count <= 88 && narrow.hasPrefix("epoch 3/30 [###") && narrow.hasSuffix("ETA 1:02:05"), "\(narrow)")
        #expect(ProgressLine.render(progress, columns: 30) == "epoch 3/30  17/39  loss 5.0123")
    }

    @Test("on a terminal simile train redraws the line in place; through a pipe it prints one line per epoch")
    func terminal() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("simile-progress-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let flags = ["--train-subset", "256", "--batch-size", "64", "--head", "16,8", "--epochs", "2", "--device", "cpu"]
        let command = [productsDirectory.appendingPathComponent("simile").path, "train", "--out", directory + "/tty"] + flags
        // script(1) runs the command on a pseudo-terminal and copies what it prints.
        let onTerminal = try run("/usr/bin/script", ["-qec", command.joined(separator: " "), "/dev/null"],
                                 environment: ["TERM": "xterm"])
        #expect(onTerminal.status == 0, "\(onTerminal)")
        #expect(onTerminal.stdout.contains("\repoch 1/2 [") && onTerminal.stdout.contains("4/4  loss")
                && onTerminal.stdout.contains("\r\u{1B}[Kepoch 2/2  loss"), "\(onTerminal.stdout)")
        let piped = try run("simile", ["train", "--out", directory + "/pipe"] + flags)
        #expect(piped.status == 0 && !piped.stdout.contains("\r") && piped.stdout.contains("epoch 2/2  loss"), "\(piped)")
    }
}
