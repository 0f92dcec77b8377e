import Foundation
import Simile

extension BenchKernel {
    /// Data-parallel training's costs, run by every process of `mpirun -np P` (`simile-bench --kernel allreduce`
    /// starts it so with P = 2 on loopback; rank 0 prints). mpirun binds each process to its own core, so every
    /// figure is a one-core figure, and the heading's peaks are one core's:
    /// - `allreduce`: the sum over the ranks of ResNet-18's gradients (11.2M floats) in 25 MB buckets, as
    ///   `GradientReducer` sends them; GB/s are the gradients' bytes over the time, read against the same run's copy
    ///   bandwidth of one core.
    /// - `dp-step[alone]`: SimCLR's ResNet-18 CIFAR step on the global batch of n images, on rank 0 alone
    ///   (one single-threaded process: the baseline) while the others wait.
    /// - `dp-step[P=N]`: the same global batch split over the P ranks, negatives gathered, gradients
    ///   all-reduced: its images per second over the baseline's is the scaling (ideal P).
    func allreduceCases(images n: Int, on device: Device) throws -> [BenchCase] {
        guard device.openCLInfo == nil else { return [] }
        let group = try ProcessGroup.world(timeout: 300)
        guard group.size >= 2 else {
            throw SimileError.invalidArgument("--kernel allreduce needs 2 or more processes: run it under mpirun, or "
                                              + "alone (simile-bench --kernel allreduce), which starts mpirun -np 2")
        }
        let gradients = 11_173_962
        let bucket = GradientReducer.bucketBytes / MemoryLayout<Float>.stride
        var buffer = [Float](repeating: 1, count: gradients)
        let allreduce = BenchCase(kernel: "allreduce", size: "P=\(group.size) \(gradients) floats", flops: 0,
                                  bytes: Double(gradients * MemoryLayout<Float>.stride), extraBytes: 0) {
            try buffer.withUnsafeMutableBufferPointer { all in
                for start in stride(from: 0, to: all.count, by: bucket) {
                    try group.allReduceSum(UnsafeMutableBufferPointer(rebasing: all[start..<min(start + bucket,
                                                                                                 all.count)]),
                                           what: "the bench's all-reduce")
                }
            }
        }
        var generator = SeededGenerator(seed: 5)
        let count = 4 * n
        let images = (0..<count * 3 * 32 * 32).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let synthetic = try Dataset(name: "synthetic 32×32 RGB", images: images, channels: 3, height: 32, width: 32)
        var configuration = try TrainingConfiguration.defaults(for: "cifar10:synthetic", method: "simclr")
        (configuration.batchSize, configuration.epochs) = (n, 1000)
        let flops = 6 * Double(2 * n) * Double(cifarResNet18MultiplyAdds)
        func step(_ kernel: String, _ trainer: Trainer, runs: Bool) -> BenchCase {
            let stream = BatchStream(trainer.loader)
            return BenchCase(kernel: kernel, size: "batch=\(n)", flops: flops, bytes: 0, extraBytes: 0, items: n) {
                guard runs else { return }
                _ = try trainer.trainStep(stream.next())
            }
        }
        let alone = try Trainer(configuration, trainSet: synthetic, testSet: nil, on: device)
        let parallel = try Trainer(configuration, trainSet: synthetic, testSet: nil, on: device,
                                   parallel: DataParallel(group: group))
        return [allreduce, step("dp-step[alone]", alone, runs: group.rank == 0),
                step("dp-step[P=\(group.size)]", parallel, runs: true)]
    }

    /// `--kernel allreduce` outside MPI: the same command under `mpirun -np 2` (as root where this runs as root);
    /// returns its exit status. nil under MPI already, or for other kernels.
    static func relaunchUnderMPI(kernel: String) throws -> Int32? {
        let environment = ProcessInfo.processInfo.environment
        guard kernel == BenchKernel.allreduce.rawValue, environment["OMPI_COMM_WORLD_SIZE"] == nil else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mpirun")
        process.arguments = ["-np", "2", "--oversubscribe"] + (getuid() == 0 ? ["--allow-run-as-root"] : [])
            + [CommandLine.arguments[0].hasPrefix("/") ? CommandLine.arguments[0]
               : FileManager.default.currentDirectoryPath + "/" + CommandLine.arguments[0]]
            + CommandLine.arguments.dropFirst()
        do { try process.run() } catch {
            throw SimileError.invalidArgument("--kernel allreduce starts /usr/bin/mpirun, which could not run: "
                                              + "\(error) (install openmpi-bin)")
        }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// The report's last lines for `allreduce`: the all-reduce's rate against one core's copy bandwidth, and the
/// data-parallel step's scaling over one single-threaded process.
func allreduceShare(_ records: [BenchRecord]) -> [String] {
    var lines: [String] = []
    if let allreduce = records.first(where: { $0.kernel == "allreduce" }), let copy = allreduce.devicePeakGbps {
        lines.append(String(format: "allreduce: ResNet-18's gradients summed over the ranks at %.2f GB/s, %.2f× one "
                            + "core's copy bandwidth (%.1f GB/s), same run", allreduce.gbps, allreduce.gbps / copy,
                            copy))
    }
    if let alone = records.first(where: { $0.kernel == "dp-step[alone]" }),
       let parallel = records.first(where: { $0.kernel.hasPrefix("dp-step[P=") }) {
        lines.append(String(format: "%@: %.2f× the images per second of one single-threaded process (%.0f ms against "
                            + "%.0f ms a step of %@)", parallel.kernel, alone.medianMs / parallel.medianMs,
                            parallel.medianMs, alone.medianMs, parallel.size))
    }
    return lines
}
