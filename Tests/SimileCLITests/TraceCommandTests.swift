import Foundation
import Simile
import Testing

/// `simile train --trace` and `simile-bench --trace`: the Chrome/Perfetto trace, the kernel table and roofline.svg.
@Suite(.serialized) struct TraceCommandTests {
    static let small = ["--train-subset", "256", "--batch-size", "64", "--head", "16,8", "--epochs", "1"]

    /// Whether an OpenCL device is there to test; with SIMILE_REQUIRE_OPENCL=1 its absence fails the test.
    static func openCLPresent() throws -> Bool {
        if try !CLDeviceInfo.all().isEmpty { return true }
        #expect(ProcessInfo.processInfo.environment["SIMILE_REQUIRE_OPENCL"] != "1", "no OpenCL device was found")
        return false
    }

    /// The trace file's events, checked to be the Trace Event Format's object.
    static func events(_ path: String) throws -> [[String: Any]] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
        let trace = try #require(object as? [String: Any])
        #expect(trace["displayTimeUnit"] as? String == "ms")
        return try #require(trace["traceEvents"] as? [[String: Any]])
    }

    /// Runs a traced `simile train` of `steps` on `device` (4 steps in all); returns its complete events by category
    /// and checks what every traced run has: the `traced` steps alone, the roofline, the kernel table.
    static func tracedTrain(device: String, steps: String, traced: [String],
                            in directory: String) throws -> [String: [[String: Any]]] {
        let trace = directory + "/trace.json"
        let result = try run("simile", ["train", "--out", directory + "/run", "--device", device, "--trace", trace,
                                        "--trace-steps", steps] + small)
        #expect(result.status == 0, "\(result)")
        if steps == "3:100" {
            #expect(result.stdout.contains("--trace: steps 3:100 asked for; traced 3:4, 4 being the run's last step"),
                    "\(result)")
        }
        #expect(result.stdout.contains("kernel                               device       calls   total ms  % wall"),
                "\(result)")
        #expect(result.stdout.contains("trace: \(trace) (open it in ui.perfetto.dev"), "\(result)")
        let roofline = try String(contentsOfFile: directory + "/roofline.svg", encoding: .utf8)
        #expect(roofline.hasPrefix("<svg") && roofline.contains("arithmetic intensity"))
        let complete = try events(trace).filter { $0["ph"] as? String == "X" }
        let byCategory = Dictionary(grouping: complete) { $0["cat"] as? String ?? "" }
        let stepSpans = byCategory["step"] ?? []
        #expect(stepSpans.map { $0["name"] as? String } == traced)
        // Every host span lies inside a traced step: nothing of the other steps, evaluations or checkpoints.
        let windows = stepSpans.compactMap { step -> ClosedRange<Double>? in
            guard let ts = step["ts"] as? Double, let dur = step["dur"] as? Double else { return nil }
            return ts...(ts + dur)
        }
        for span in complete where span["cat"] as? String != "kernel" {
            let ts = span["ts"] as? Double ?? -1
            #expect(windows.contains { $0.contains(ts) }, "\(span) outside \(windows)")
        }
        return byCategory
    }

    @Test("a traced run on the CPU: BLAS spans with their sizes, flops and bytes, only within steps 3 and 4, the last (3:100 asked for)")
    func cpu() throws {
        let directory = try scratchDirectory("simile-trace")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let events = try Self.tracedTrain(device: "cpu", steps: "3:100", traced: ["step 3", "step 4"], in: directory)
        let blas = events["blas"] ?? []
        #expect(!blas.isEmpty && events["kernel"] == nil)
        for span in blas.prefix(20) {
            let args = span["args"] as? [String: Any] ?? [:]
            #expect((span["name"] as? String)?.hasPrefix("sgemm ") == true && args["device"] as? String == "cpu")
            let (m, n, k) = (args["m"] as? Int ?? 0, args["n"] as? Int ?? 0, args["k"] as? Int ?? 0)
            #expect(m > 0 && args["flops"] as? Int == 2 * m * n * k && args["bytes"] as? Int == 4 * (m * k + k * n + m * n))
        }
    }

    @Test("a traced run on OpenCL: each kernel from its profiling event, with the documented args, enqueued in steps 2 and 3")
    func openCL() throws {
        guard try Self.openCLPresent() else { return }
        let directory = try scratchDirectory("simile-trace")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let events = try Self.tracedTrain(device: "opencl", steps: "2:3", traced: ["step 2", "step 3"], in: directory)
        let kernels = events["kernel"] ?? []
        let steps = (events["step"] ?? []).map { ($0["ts"] as? Double ?? 0)...(($0["ts"] as? Double ?? 0) + ($0["dur"] as? Double ?? 0)) }
        #expect(kernels.count > 10 && events["blas"] == nil)
        #expect(kernels.contains { ($0["name"] as? String)?.hasPrefix("gemm_packed") == true })
        for kernel in kernels {
            let args = kernel["args"] as? [String: Any] ?? [:]
            let (queued, submitted) = (args["queued_us"] as? Double ?? -1, args["submitted_us"] as? Double ?? -1)
            let (start, duration) = (kernel["ts"] as? Double ?? -1, kernel["dur"] as? Double ?? -1)
            #expect(args["device"] as? String == "opencl:0" && (args["bytes"] as? Int ?? 0) > 0, "\(kernel)")
            #expect((args["global"] as? [Int])?.isEmpty == false && args["local"] is [Int], "\(kernel)")
            #expect(queued <= submitted + 1 && submitted <= start + 1 && duration >= 0, "\(kernel)")
            // A loader worker's launch that began before a step's end may be enqueued a few microseconds after it.
            #expect(steps.contains { $0.contains(queued) || abs(queued - $0.upperBound) < 500 },
                    "\(kernel) enqueued outside \(steps)")
            #expect(kernel["tid"] as? Int == 1000)
        }
    }

    @Test("bad --trace and --trace-steps values are one clear error each, before any work")
    func badValues() throws {
        let directory = try scratchDirectory("simile-trace")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let trace = ["--out", directory + "/run", "--trace", directory + "/trace.json", "--device", "cpu"]
        for steps in ["3:2", "0:2", "-1:2", "2:-3", "a:b", "NaN:3", "2", "2:3:4", ":3", ""] {
            expectFailure(try run("simile", ["train", "--trace-steps", steps] + trace), status: 64,
                          "--trace-steps takes A:B, step numbers from 1 with A ≤ B (such as 2:3), got '\(steps)'")
        }
        expectFailure(try run("simile", ["train", "--trace-steps", "2:3", "--out", directory + "/run"]), status: 64,
                      "--trace-steps needs --trace FILE")
        expectFailure(try run("simile", ["train", "--trace", "/nonexistent/trace.json", "--out", directory + "/run"]),
                      status: 64, "--trace: /nonexistent/trace.json: cannot use the directory /nonexistent: No such file "
                      + "or directory")
        expectFailure(try run("simile", ["train", "--trace", directory + "/roofline.svg", "--out", directory + "/run"]),
                      status: 64, "--trace and the roofline beside --trace name the same file "
                      + "(\(directory)/roofline.svg); give each output its own path")
        // 256 images in batches of 64 for one epoch: 4 steps.
        expectFailure(try run("simile", ["train", "--trace-steps", "5:9"] + trace + Self.small), status: 1,
                      "--trace-steps 5:9 begins after the run's last step, 4")
        #expect(!FileManager.default.fileExists(atPath: directory + "/run")
                && !FileManager.default.fileExists(atPath: directory + "/trace.json"))
    }

    @Test("simile-bench --trace: the timed runs' kernels, the device peaks in the heading, the table and the roofline")
    func bench() throws {
        guard try Self.openCLPresent() else { return }
        let directory = try scratchDirectory("simile-trace")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try run("simile-bench", ["--kernel", "add", "--size", "64", "--repeat", "2", "--device", "opencl",
                                              "--trace", directory + "/bench.json", "--json", directory + "/records.json"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("peaks of opencl:0: FP32 FMA ") && result.stdout.contains(" GB/s ("), "\(result)")
        let events = try Self.events(directory + "/bench.json").filter { $0["ph"] as? String == "X" }
        #expect(events.filter { $0["cat"] as? String == "kernel" }.map { $0["name"] as? String } == ["add", "add"])
        #expect(events.filter { $0["cat"] as? String == "step" }.map { $0["name"] as? String }
                == ["add 64x64 on opencl:0", "add 64x64 on opencl:0"])
        #expect(result.stdout.contains("\nadd                                  opencl:0         2 "), "\(result)")
        #expect(FileManager.default.fileExists(atPath: directory + "/roofline.svg"))
        let records = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/records.json")))
        let record = try #require((records as? [[String: Any]])?.first)
        #expect((record["device_peak_gflops"] as? Double ?? 0) > 0 && (record["device_bandwidth_fraction"] as? Double ?? 0) > 0)
        expectFailure(try run("simile-bench", ["--trace", directory + "/records.json", "--json", directory + "/records.json"]),
                      status: 64, "--json and --trace name the same file (\(directory)/records.json); give each output its own path")
    }
}
