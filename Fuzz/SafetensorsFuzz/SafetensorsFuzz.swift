/// libFuzzer's entry point for the safetensors reader and its JSON parser: any bytes must give tensors or one
/// `SimileError`, never a crash, a trap or unbounded memory. Built by `make fuzz` together with the reader's
/// sources.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    do {
        _ = try Safetensors.parse(Array(UnsafeBufferPointer(start: data, count: size)), name: "fuzz")
    } catch is SimileError {
        // One clear error is as right an answer as tensors.
    } catch {
        fatalError("not a SimileError: \(error)")
    }
    return 0
}
