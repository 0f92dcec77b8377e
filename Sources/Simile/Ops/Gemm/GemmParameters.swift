/// One point of the OpenCL GEMM family's parameter space: which kernel, the shape it is compiled with, and how far
/// it splits K. `defaults(_:device:)` are the built-in choices (GemmVariant.swift); `simile tune` measures the rest
/// of `GemmSearchSpace` and keeps a winner per shape class in the device's tuning cache (GemmTuningCache.swift).
///
/// The blocked CPU kernel reads `tileRows` × `tileColumns` as each work-item's register block (MR × NR) in vectors
/// of `vectorWidth` (VW); the tiled GPU kernel reads them as the work-group's tile (TM × TN), staged `stageDepth`
/// (TK) deep in local memory, each work-item holding `itemRows` × `itemColumns` (WM × WN) of it.
public struct GemmParameters: Hashable, Codable, Sendable, CustomStringConvertible {
    public var kernel: GemmKernel
    public var tileRows: Int
    public var tileColumns: Int
    /// Tiled: TK; blocked: 1 (it packs K unpadded).
    public var stageDepth: Int
    /// Tiled: WM × WN; blocked: 1 × 1.
    public var itemRows: Int
    public var itemColumns: Int
    /// Blocked: VW; tiled: 1.
    public var vectorWidth: Int
    /// Split-K aims the grid at this many waves over the device's compute units (0: never split; `GemmVariant.split`).
    public var splitWaves: Int

    public var description: String {
        let split = splitWaves == 0 ? "no split-K" : "split-K to \(splitWaves) wave\(splitWaves == 1 ? "" : "s")"
        switch kernel {
        case .blockedCPU:
            return "\(kernel.rawValue) \(tileRows)×\(tileColumns) per item in float\(vectorWidth), \(split)"
        case .tiledGPU:
            return "\(kernel.rawValue) \(tileRows)×\(tileColumns)×\(stageDepth) per group, "
                + "\(itemRows)×\(itemColumns) per item, \(split)"
        }
    }

    static func blocked(rows: Int, columns: Int, vectorWidth: Int, splitWaves: Int) -> GemmParameters {
        GemmParameters(kernel: .blockedCPU, tileRows: rows, tileColumns: columns, stageDepth: 1, itemRows: 1,
                       itemColumns: 1, vectorWidth: vectorWidth, splitWaves: splitWaves)
    }

    static func tiled(tile: (Int, Int), depth: Int, item: (Int, Int), splitWaves: Int) -> GemmParameters {
        GemmParameters(kernel: .tiledGPU, tileRows: tile.0, tileColumns: tile.1, stageDepth: depth, itemRows: item.0,
                       itemColumns: item.1, vectorWidth: 1, splitWaves: splitWaves)
    }

    /// The same compiled kernel with another split-K target.
    func splitting(toWaves waves: Int) -> GemmParameters {
        var copy = self
        copy.splitWaves = waves
        return copy
    }

    /// The same parameters but for split-K: what selects the compiled program.
    var compiled: GemmParameters { splitting(toWaves: 0) }

    /// The tiled kernel's work-items per group (1 for the blocked kernel).
    var threadsPerGroup: Int { (tileRows / itemRows) * (tileColumns / itemColumns) }

    /// Bytes of local memory a work-group stages (0 for the blocked kernel).
    var localBytes: Int {
        kernel == .tiledGPU ? stageDepth * (tileRows + tileColumns) * MemoryLayout<Float>.stride : 0
    }

    /// Whether a device with `limits` can build and run these parameters: the kernels' compile-time constraints,
    /// the work-group size and local memory the device offers.
    func runs(within limits: GemmDeviceLimits) -> Bool {
        guard (0...64).contains(splitWaves), (1...256).contains(tileRows), (1...256).contains(tileColumns) else {
            return false
        }
        switch kernel {
        case .blockedCPU:
            return [4, 8, 16].contains(vectorWidth) && tileColumns % vectorWidth == 0 && stageDepth == 1
                && itemRows == 1 && itemColumns == 1
        case .tiledGPU:
            return vectorWidth == 1 && (1...64).contains(stageDepth) && (1...16).contains(itemRows)
                && (1...16).contains(itemColumns) && tileRows % itemRows == 0 && tileColumns % itemColumns == 0
                && tileRows % 4 == 0 && tileColumns % 4 == 0 && threadsPerGroup <= limits.maxWorkGroupSize
                && localBytes <= limits.localMemoryBytes
        }
    }
}

/// What a device offers the GEMM kernels' shapes: its float vector width (the blocked kernel's), and the work-group
/// size and local memory the tiled kernel's groups need.
public struct GemmDeviceLimits: Sendable, Equatable {
    public var vectorWidth: Int
    public var maxWorkGroupSize: Int
    public var localMemoryBytes: Int

    public init(vectorWidth: Int, maxWorkGroupSize: Int, localMemoryBytes: Int) {
        self.vectorWidth = vectorWidth
        self.maxWorkGroupSize = maxWorkGroupSize
        self.localMemoryBytes = localMemoryBytes
    }
}
