import Foundation
import Testing
@testable import Simile

@Suite struct DeviceTests {
    @Test("device strings parse, bad ones give one clear error")
    func parsing() throws {
        #expect(try DeviceSpec(parsing: "auto") == .auto)
        #expect(try DeviceSpec(parsing: "CPU") == .cpu)
        #expect(try DeviceSpec(parsing: "opencl") == .opencl(index: nil))
        #expect(try DeviceSpec(parsing: "opencl:2") == .opencl(index: 2))
        for bad in ["gpu", "opencl:", "opencl:-1", "opencl:x", ""] {
            expectError(.invalidArgument(
                "invalid device '\(bad)': expected auto, cpu, opencl or opencl:N (N = 0, 1, ...; see `simile devices`)")) {
                _ = try DeviceSpec(parsing: bad)
            }
        }
    }

    @Test("one-device commands: --device, else SIMILE_DEVICE, else auto; a bad value names its source")
    func resolveOne() throws {
        #expect(try DeviceSpec.resolve(flag: nil, environment: [:]) == .auto)
        #expect(try DeviceSpec.resolve(flag: nil, environment: ["SIMILE_DEVICE": ""]) == .auto)
        #expect(try DeviceSpec.resolve(flag: nil, environment: ["SIMILE_DEVICE": "cpu"]) == .cpu)
        #expect(try DeviceSpec.resolve(flag: "opencl:1", environment: ["SIMILE_DEVICE": "bogus"]) == .opencl(index: 1))
        let expected = "expected auto, cpu, opencl or opencl:N (N = 0, 1, ...; see `simile devices`)"
        expectError(.invalidArgument("SIMILE_DEVICE='bogus': \(expected)")) {
            _ = try DeviceSpec.resolve(flag: nil, environment: ["SIMILE_DEVICE": "bogus"])
        }
        expectError(.invalidArgument("--device='all': \(expected)")) {
            _ = try DeviceSpec.resolve(flag: "all", environment: [:])
        }
        expectError(.invalidArgument("--device='': \(expected)")) { _ = try DeviceSpec.resolve(flag: "", environment: [:]) }
    }

    @Test("several-device commands: --device, else SIMILE_DEVICE, else every device; `all` is accepted")
    func resolveSeveral() throws {
        #expect(try DeviceSelection.resolve(flag: nil, environment: [:]) == .every)
        #expect(try DeviceSelection.resolve(flag: nil, environment: ["SIMILE_DEVICE": "cpu"]) == .one(.cpu))
        #expect(try DeviceSelection.resolve(flag: "All", environment: ["SIMILE_DEVICE": "cpu"]) == .every)
        #expect(try DeviceSelection.resolve(flag: "opencl", environment: ["SIMILE_DEVICE": "cpu"]) == .one(.opencl(index: nil)))
        expectError(.invalidArgument(
            "SIMILE_DEVICE='gpu': expected all, auto, cpu, opencl or opencl:N (N = 0, 1, ...; see `simile devices`)")) {
            _ = try DeviceSelection.resolve(flag: nil, environment: ["SIMILE_DEVICE": "gpu"])
        }
        let every = try DeviceSelection.every.open().map(\.identifier)
        #expect(every == ["cpu"] + (try CLDeviceInfo.all()).map { "opencl:\($0.index)" })
        #expect(try DeviceSelection.one(.cpu).open().map(\.identifier) == ["cpu"])
    }

    @Test("a device index that does not exist lists the devices that do")
    func missingDevice() throws {
        let available = try Device.availableDevices()
        #expect(available.first?.hasPrefix("cpu") == true)
        expectError(.deviceNotFound(requested: "opencl:99", available: available)) {
            _ = try Device.open(.opencl(index: 99))
        }
        let message = SimileError.deviceNotFound(requested: "opencl:99", available: available).description
        #expect(message.contains("no device matches 'opencl:99'"))
        #expect(message.contains("cpu"))
    }

    @Test("auto picks a GPU or accelerator when there is one, else the CPU")
    func autoChoice() throws {
        let devices = try CLDeviceInfo.all()
        let accelerator = devices.first { $0.type == .gpu || $0.type == .accelerator }
        let choice = try Device.autoChoice()
        #expect(choice.index == accelerator?.index)
        let device = try Device.open(.auto)
        #expect(device.identifier == (accelerator.map { "opencl:\($0.index)" } ?? "cpu"))
    }

    @Test("opening the same OpenCL device twice shares one context")
    func sharedDevice() throws {
        guard try TestBackend.opencl.open() != nil else { return }
        #expect(try Device.open(.opencl(index: 0)) === Device.open(.opencl(index: nil)))
    }

    @Test("OpenCL is found when CI requires it")
    func openCLRequired() throws {
        if ProcessInfo.processInfo.environment["SIMILE_REQUIRE_OPENCL"] == "1" {
            #expect(try !CLDeviceInfo.all().isEmpty, "SIMILE_REQUIRE_OPENCL=1 but no OpenCL device was found")
        }
    }
}
