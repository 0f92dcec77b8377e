/// libFuzzer's entry point for the .npy reader: any bytes must give a value or one `SimileError`, never a
/// crash, a trap or unbounded memory. Built by `make fuzz` together with the reader's sources.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    do {
        _ = try NPY.parse(Array(UnsafeBufferPointer(start: data, count: size)), name: "fuzz")
    } catch is SimileError {
        // One clear error is as right an answer as a value.
    } catch {
        fatalError("not a SimileError: \(error)")
    }
    return 0
}
