import Foundation
import ArgumentParser
import Simile
import SimileCommandLine

/// `simile devices`: every platform and device, and what `auto` picks.
struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices", abstract: "List the CPU backend and every OpenCL platform and device.")

    func validate() throws {
        try asValidationError { _ = try CPUInstructionSet.requested() }
    }

    func run() throws {
        if case .cpu(let cpu) = Device.cpu.backend {
            print("cpu  \(cpu.name)  (\(cpu.threads) threads, \(cpu.blasDescription))")
            print("  loops in \(cpu.instructionSet.rawValue): \(cpu.instructionSet.summary); this CPU runs "
                  + "\(CPUInstructionSet.supportedNames) "
                  + "(SIMILE_CPU_ISA picks one)")
        }
        let devices = try CLDeviceInfo.all()
        if devices.isEmpty { print("no OpenCL platform or device found") }
        var platform = ""
        for device in devices {
            if device.platformName != platform {
                platform = device.platformName
                print("OpenCL platform: \(device.platformName)  [\(device.platformVersion)]")
            }
            print("""
                  opencl:\(device.index)  \(device.name)
                    type \(device.type.rawValue), \(device.computeUnits) compute units, \
                \(formatBytes(device.globalMemoryBytes)) global memory, \
                \(formatBytes(device.localMemoryBytes)) local memory
                    max work-group size \(device.maxWorkGroupSize), \(device.openCLCVersion), \
                fp64 \(device.supportsFP64 ? "yes" : "no"), driver \(device.driverVersion)
                    \(tuningLine(device))
                """)
        }
        print("auto picks \(try Device.autoChoice().reason)")
    }

    /// Whether `simile tune` has tuned the device's GEMM kernels, on what and with what gain.
    private func tuningLine(_ device: CLDeviceInfo) -> String {
        switch GemmTuningCache.status(for: device) {
        case .absent:
            return "GEMM kernels not tuned: built-in parameters (`simile tune` tunes them)"
        case .tuned(let record, _):
            let gains = record.classes.sorted(by: { $0.key < $1.key }).map { name, winner in
                String(format: "%@ %.2f×", name, winner.defaultSeconds / winner.tunedSeconds)
            }
            return "GEMM kernels tuned on \(record.workload) (\(record.tunedAt)): \(gains.joined(separator: ", ")) "
                + "the built-in parameters' speed"
        case .stale(let why), .corrupt(let why):
            return "GEMM tuning cache ignored: \(why); built-in parameters"
        }
    }
}
