import Foundation
import Kernels

/// Where a device's tuning record lives: `<cache>/tuning/<device>.json` under the program cache's directory
/// (`$SIMILE_CACHE_DIR`, else `$XDG_CACHE_HOME/simile`, else `~/.cache/simile`), which `simile tune` writes and every
/// command reads. A stale or corrupt record is ignored with one warning per process.
public enum GemmTuningCache {
    public typealias Status = GemmTuningRecord.Status

    /// The key a record must carry to be used on `device`: its name, driver and platform versions, and a digest of
    /// this build's GEMM kernels.
    public static func key(for device: CLDeviceInfo) -> GemmTuningRecord.Key {
        GemmTuningRecord.Key(device: device.name, driver: device.driverVersion, platform: device.platformVersion,
                             kernelSource: CLProgramCache.digest([KernelSource.gemmPack, KernelSource.gemmBlockedCPU,
                                                                  KernelSource.gemmTiledGPU, KernelSource.gemmSplitK]))
    }

    /// `GemmTuningRecord.decode` against `device`'s key and limits.
    public static func decode(_ bytes: Data, for device: CLDeviceInfo) -> Status {
        GemmTuningRecord.decode(bytes, expecting: key(for: device), limits: GemmDeviceLimits(device))
    }

    /// `<cache>/tuning/<device name in lower case, runs of other characters as '-'>.json`.
    public static func file(for device: CLDeviceInfo) -> URL {
        let name = device.name.lowercased().split(whereSeparator: { !($0.isASCII && ($0.isLetter || $0.isNumber)) })
            .joined(separator: "-")
        return CLProgramCache.directory.appendingPathComponent("tuning")
            .appendingPathComponent((name.isEmpty ? "device" : name) + ".json")
    }

    /// A tuning record is a few hundred bytes; a larger file is not one, and is not read.
    static let largestRecord = 1 << 20

    /// The status of `device`'s cache file: absent when there is none, corrupt when it is not a readable regular file
    /// of at most `largestRecord` bytes (a FIFO would block a reader), else what `GemmTuningRecord.decode` says.
    public static func status(for device: CLDeviceInfo) -> Status {
        status(at: file(for: device).path, for: device)
    }

    /// The status of the cache file at `path` for `device`.
    static func status(at path: String, for device: CLDeviceInfo) -> Status {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return errno == ENOENT ? .absent : .corrupt("it cannot be read: \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else { return .corrupt("it is \(fileKind(info.st_mode)), not a file") }
        guard info.st_size <= largestRecord else {
            return .corrupt("it holds \(info.st_size) bytes, more than a tuning record's \(largestRecord)")
        }
        do {
            let descriptor = try openForReading(path)
            defer { close(descriptor) }
            var source = try FileByteSource(descriptor: descriptor, path: path)
            return decode(Data(try source.read(upTo: largestRecord + 1)), for: device)
        } catch {
            return .corrupt("\(error)")
        }
    }

    /// The parameters every command uses on `device`: the cache's when it is tuned, else none (the defaults). A stale
    /// or corrupt cache is ignored with one warning on standard error per file and process.
    static func load(for device: CLDeviceInfo) -> GemmTuning {
        switch status(for: device) {
        case .absent: return GemmTuning()
        case .tuned(_, let tuning): return tuning
        case .stale(let why), .corrupt(let why):
            warnOnce("simile: warning: ignoring the GEMM tuning cache \(file(for: device).path): \(why); "
                     + "the built-in parameters are used (run `simile tune` to tune this device again)")
            return GemmTuning()
        }
    }

    /// Writes `record` as `device`'s cache file, atomically.
    public static func save(_ record: GemmTuningRecord, for device: CLDeviceInfo) throws {
        let url = file(for: device)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw SimileError.invalidArgument("cannot create the tuning cache directory "
                                              + "\(url.deletingLastPathComponent().path): \(error.localizedDescription)")
        }
        try writeFileAtomically([UInt8](try record.encoded()), to: url.path)
    }

    nonisolated(unsafe) private static var warned = Set<String>()
    private static let warnedLock = NSLock()

    private static func warnOnce(_ message: String) {
        let isNew = warnedLock.withLock { warned.insert(message).inserted }
        if isNew { FileHandle.standardError.write(Data((message + "\n").utf8)) }
    }
}
