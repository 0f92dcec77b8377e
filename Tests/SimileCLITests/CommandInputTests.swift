import Foundation
import Testing

/// Outputs that would overwrite each other, special files among a data set's, and sizes named as they are.
@Suite struct CommandInputTests {
    @Test("two outputs that land on the same file, however spelled, are refused before any work")
    func sameOutputTwice() throws {
        let directory = try scratchDirectory("simile-inputs")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createSymbolicLink(atPath: directory + "/link.npy", withDestinationPath: "same.npy")
        expectFailure(try run("simile", ["embed", "--checkpoint", "/nonexistent", "--data", "digits",
                                         "--out", directory + "/same.npy", "--labels-out", directory + "/same.npy"]),
                      status: 64, "--out and --labels-out name the same file (\(directory)/same.npy); give each output "
                      + "its own path")
        expectFailure(try run("simile", ["augment", "--data", "digits", "--out", directory + "/same.npy",
                                         "--preview", directory + "/./link.npy"]),
                      status: 64, "--out and --preview name the same file (\(directory)/same.npy); give each output "
                      + "its own path")
        #expect(!FileManager.default.fileExists(atPath: directory + "/same.npy"))
    }

    @Test("a FIFO among a data set's files is one error, not a hang")
    func fifoInDataset() throws {
        let directory = try scratchDirectory("simile-inputs")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/cifar", withIntermediateDirectories: false)
        for name in ["data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"] {
            try Data(repeating: 1, count: 3073).write(to: URL(fileURLWithPath: "\(directory)/cifar/\(name).bin"))
        }
        #expect(mkfifo(directory + "/cifar/data_batch_1.bin", 0o644) == 0)
        try FileManager.default.createDirectory(atPath: directory + "/folder/a", withIntermediateDirectories: true)
        #expect(mkfifo(directory + "/folder/a/x.png", 0o644) == 0)
        #expect(mkfifo(directory + "/checkpoint.safetensors", 0o644) == 0)
        // Each would block in open(2) forever, so each runs under a deadline.
        let timeout = ["/usr/bin/timeout", "60", productsDirectory.appendingPathComponent("simile").path]
        func simile(_ arguments: [String]) throws -> CommandResult { try run(timeout[0], Array(timeout.dropFirst()) + arguments) }
        expectFailure(try simile(["augment", "--data", "cifar10:\(directory)/cifar", "--out", directory + "/v.npy"]),
                      status: 1, "\(directory)/cifar/data_batch_1.bin: a FIFO (named pipe), not a regular file")
        expectFailure(try simile(["augment", "--data", "folder:\(directory)/folder", "--out", directory + "/v.npy"]),
                      status: 1, "\(directory)/folder/a/x.png: a FIFO (named pipe), not a regular file")
        let checkpoint = try simile(["eval", "knn", "--checkpoint", directory + "/checkpoint.safetensors"])
        #expect(checkpoint.status == 1 && checkpoint.errorLine.hasPrefix("Error: \(directory)/checkpoint.safetensors: "),
                "\(checkpoint)")
    }

    @Test("a blur kernel too wide for the images names their real size")
    func blurNamesTheRealSize() throws {
        expectFailure(try run("simile", ["augment", "--data", "digits", "--out", "/tmp/unused.npy", "--blur", "1,100001,0.1,2"]),
                      status: 1, "augmentation: blur kernel size 100001 needs reflect padding wider than the 8×8 output")
    }
}
