import Foundation

extension Safetensors {
    /// Decodes a safetensors file from `source`: the 8-byte length, exactly that many header bytes, then each
    /// tensor's bytes in offset order. Every length is checked (against what is left when the source knows it,
    /// against `maxHeaderLength` and the machine's memory otherwise) before anything is allocated for it.
    /// Errors start with `name`.
    static func decode<Source: ByteSource>(_ source: inout Source, name: String) throws
        -> (tensors: [SafetensorsTensor], metadata: [String: String]) {
        func failure(_ sentence: String) -> SimileError { .invalidArgument("\(name): \(sentence)") }

        let lengthBytes = try source.read(upTo: 8)
        guard lengthBytes.count == 8 else {
            throw failure("the file ends after \(lengthBytes.count) bytes, inside the 8-byte header length")
        }
        let declared = lengthBytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        func headerTooLong(left: Int) -> SimileError {
            failure("the header length is \(declared) bytes, more than the \(left) left in the file")
        }
        if let left = source.remaining, declared > UInt64(left) { throw headerTooLong(left: left) }
        guard declared <= UInt64(maxHeaderLength) else {
            throw failure("the header length is \(declared) bytes, more than the \(maxHeaderLength) this reader accepts")
        }
        let headerLength = Int(declared)
        let headerBytes = try source.read(upTo: headerLength)
        guard headerBytes.count == headerLength else { throw headerTooLong(left: headerBytes.count) }
        let header: SafetensorsHeader
        do { header = try SafetensorsHeader(headerBytes) } catch { throw failure(error.message) }

        func truncated(found: Int) -> SimileError {
            failure("the data is truncated: the header declares \(header.dataLength) bytes, found \(found)")
        }
        if let found = source.remaining {
            guard found >= header.dataLength else { throw truncated(found: found) }
            guard found == header.dataLength else {
                throw failure("the data is \(found) bytes but the header declares exactly \(header.dataLength); "
                              + "trailing bytes are not allowed")
            }
        }
        // Values take 4 bytes (widened floats) or 8 (I64) in memory; Double cannot overflow summing them.
        let valueBytes = header.entries.reduce(0.0) { total, entry in
            total + Double((entry.end - entry.begin) / entry.dtype.itemSize) * (entry.dtype == .I64 ? 8 : 4)
        }
        try MemoryLimit.host.check(valueBytes < Double(Int.max) ? Int(valueBytes) : .max,
                                   for: "\(name): loading the tensors")

        var tensors: [SafetensorsTensor] = []
        for entry in header.entries {
            let bytes = try source.read(upTo: entry.end - entry.begin)
            guard bytes.count == entry.end - entry.begin else { throw truncated(found: entry.begin + bytes.count) }
            tensors.append(SafetensorsTensor(name: entry.name, dtype: entry.dtype, shape: entry.shape,
                                             data: values(bytes, dtype: entry.dtype)))
        }
        guard try source.read(upTo: 1).isEmpty else {
            throw failure("the data runs on past the \(header.dataLength) bytes the header declares; "
                          + "trailing bytes are not allowed")
        }
        return (tensors, header.metadata)
    }

    /// The little-endian elements in `bytes`, widened to float32 for the 16-bit floats.
    private static func values(_ bytes: [UInt8], dtype: SafetensorsDType) -> SafetensorsData {
        bytes.withUnsafeBytes { raw in
            let count = raw.count / dtype.itemSize
            func load<T: FixedWidthInteger>(_: T.Type, _ index: Int) -> T {
                T(littleEndian: raw.loadUnaligned(fromByteOffset: index * dtype.itemSize, as: T.self))
            }
            switch dtype {
            case .F32: return .float32((0..<count).map { Float(bitPattern: load(UInt32.self, $0)) })
            case .F16: return .float32((0..<count).map { Float(Float16(bitPattern: load(UInt16.self, $0))) })
            case .BF16: return .float32((0..<count).map { Float(bitPattern: UInt32(load(UInt16.self, $0)) << 16) })
            case .I64: return .int64((0..<count).map { Int64(bitPattern: load(UInt64.self, $0)) })
            }
        }
    }
}
