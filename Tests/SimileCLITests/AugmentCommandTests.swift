import Foundation
import Simile
import Testing

/// `simile augment`: views, labels, parameters and a preview of the first N images of a dataset.
@Suite struct AugmentCommandTests {
    @Test("writes 2N views, the labels, one parameter entry per view and a preview picture")
    func outputs() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("simile-augment-\(UUID())").path
        try FileManager.default.createDirectory(atPath: scratch + "/picture/all", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let result = try run("simile", ["augment", "--data", "digits", "--count", "6", "--seed", "3", "--device", "cpu",
                                        "--out", scratch + "/views.npy", "--labels-out", scratch + "/labels.npy",
                                        "--params-out", scratch + "/params.json",
                                        "--preview", scratch + "/picture/all/grid.png"])
        #expect(result.status == 0, "\(result)")
        let views = try NPY.read(scratch + "/views.npy")
        #expect(views.shape == [12, 1, 8, 8])
        let dataset = try DatasetSpec.digits.open(split: .train)
        let labels = try Data(contentsOf: URL(fileURLWithPath: scratch + "/labels.npy")).suffix(48)
        #expect(Array(labels) == (try (0..<6).flatMap { index -> [UInt8] in
            withUnsafeBytes(of: Int64(try dataset.label(at: index)!).littleEndian, Array.init)
        }))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: scratch + "/params.json")))
        let params = try #require(json as? [String: Any])
        let entries = try #require(params["views"] as? [[String: Any]])
        #expect(entries.map { $0["image"] as? Int } == [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5])
        #expect(entries.allSatisfy { ($0["crop"] as? [Int])?.count == 4 && $0["flip"] as? Bool == false })
        #expect(params["size"] as? [Int] == [8, 8] && (params["mean"] as? [Double])?.count == 1)
        let picture = try DatasetSpec.folder(directory: scratch + "/picture").open(split: .train)
        #expect(picture.count == 1 && picture.height == 2 + 6 * 66 && picture.width == 2 + 3 * 66)
    }

    @Test("preset none gives the images as stored, scaled to [0, 1], once; the same seed gives the same views on every backend")
    func presetNoneAndBackends() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("simile-augment-\(UUID())").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let dataset = try DatasetSpec.digits.open(split: .train)
        let stored = try (0..<3).flatMap { try dataset.image(at: $0).map { Float($0) / 255 } }
        // Exactly, on both backends: a GPU's OpenCL `/` may be 2.5 ulp off (NVIDIA's was).
        for device in ["cpu", "opencl"] {
            #expect(try run("simile", ["augment", "--data", "digits", "--count", "3", "--preset", "none",
                                       "--device", device, "--out", scratch + "/none.npy"]).status == 0)
            #expect(try NPY.read(scratch + "/none.npy").values == stored, "\(device)")
        }
        for device in ["cpu", "opencl"] {
            let result = try run("simile", ["augment", "--data", "digits", "--count", "5", "--seed", "9",
                                            "--device", device, "--out", scratch + "/\(device).npy"])
            #expect(result.status == 0, "\(result)")
        }
        let (cpu, opencl) = (try NPY.read(scratch + "/cpu.npy").values, try NPY.read(scratch + "/opencl.npy").values)
        #expect(cpu.count == opencl.count && zip(cpu, opencl).allSatisfy { abs($0 - $1) <= 1e-4 })
    }

    @Test("each op is switched and tuned by its flag")
    func tuning() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("simile-augment-\(UUID())").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let result = try run("simile", ["augment", "--data", "fashion-mnist", "--count", "4", "--crop-scale", "none",
                                        "--flip", "1", "--jitter", "none", "--grayscale", "0", "--size", "14",
                                        "--solarize", "1", "--out", scratch + "/v.npy", "--params-out", scratch + "/p.json"])
        #expect(result.status == 0, "\(result)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: scratch + "/p.json")))
        let entries = try #require((json as? [String: Any])?["views"] as? [[String: Any]])
        #expect(entries.count == 8 && entries.allSatisfy {
            $0["flip"] as? Bool == true && $0["crop"] as? [Int] == [0, 0, 28, 28] && ($0["jitter"] as? [Any])?.isEmpty == true
                && $0["solarize"] as? Double == 0.5
        })
        #expect(try NPY.read(scratch + "/v.npy").shape == [8, 1, 14, 14])
        expectFailure(try run("simile", ["augment", "--data", "digits", "--jitter", "1,2", "--out", "/tmp/x.npy"]),
                      status: 64, "--jitter takes 5 comma-separated numbers, got '1,2'")
    }

    @Test("bad arguments are one clear error")
    func errors() throws {
        expectFailure(try run("simile", ["augment", "--data", "digits", "--count", "0", "--out", "/tmp/x.npy"]),
                      status: 64, "--count must be ≥ 1, got 0")
        expectFailure(try run("simile", ["augment", "--data", "digits", "--preset", "fancy", "--out", "/tmp/x.npy"]),
                      status: 64, "invalid preset 'fancy': expected simclr, digits, none")
        expectFailure(try run("simile", ["augment", "--data", "digits", "--split", "test", "--count", "300",
                                         "--out", "/tmp/x.npy"]),
                      status: 1, "--count 300: digits (test) has only 297 images")
    }
}
