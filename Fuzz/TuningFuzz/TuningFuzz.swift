import Foundation

/// libFuzzer's entry point for the GEMM tuning cache's reader: any bytes must give a usable record or one reason it
/// is stale or corrupt, never a crash, a trap or unbounded memory. Built by `make fuzz` with the record's sources;
/// the key and limits are those of a made-up device (the corpus's records carry its key).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTuningRecord(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let key = GemmTuningRecord.Key(device: "fuzz device", driver: "1.0", platform: "OpenCL 3.0", kernelSource: "0")
    let limits = GemmDeviceLimits(vectorWidth: 16, maxWorkGroupSize: 1024, localMemoryBytes: 49_152)
    if case .tuned(_, let tuning) = GemmTuningRecord.decode(Data(bytes: data, count: size), expecting: key,
                                                             limits: limits) {
        // A record that is used holds only points of the search space.
        for parameters in tuning.parameters.values where !GemmSearchSpace.contains(parameters, within: limits) {
            fatalError("a record outside the search space was accepted: \(parameters)")
        }
    }
    return 0
}
