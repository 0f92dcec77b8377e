import Kernels

/// The OpenCL launcher of `augment`: the uint8 batch goes up once as bytes, the views' parameters as one small float
/// buffer (`AugmentRecords`), and one fused kernel makes every view (Kernels/augment.cl describes its passes).
extension OpenCLBackend {
    func augment(_ batch: UnsafeRawBufferPointer, layout: AugmentLayout,
                 views: [(image: Int, parameters: ViewParameters)], into output: Tensor) throws {
        guard batch.count < Int(Int32.max), output.count < Int(Int32.max) else {
            throw SimileError.invalidArgument(
                "augment: \(batch.count) source bytes and \(output.count) output values must each stay below 2³¹ "
                + "(the kernel indexes with 32-bit ints)")
        }
        let records = AugmentRecords(layout: layout, views: views)
        let parameters = try Tensor(records.values, shape: [records.values.count], on: output.device)
        let source = try uploadBytes(batch, for: "augment's source batch")
        let rearranges = views.contains { $0.parameters.blur != nil || $0.parameters.jigsaw != nil }
        let scratch = rearranges ? try Tensor(uninitialized: output.shape, on: output.device) : output
        let groupSize = shapes.reductionGroupSize
        let kernel = try kernel("augment", program: "augment", source: KernelSource.augment,
                                options: "-DWG=\(groupSize) -DSTRIDE=\(records.stride)")
        try launch(kernel, name: "augment", global: [views.count * groupSize], local: [groupSize], [
            .buffer(source), .buffer(parameters.clBuffer), .buffer(output.clBuffer), .buffer(scratch.clBuffer),
            .int(layout.channels), .int(layout.height), .int(layout.width), .int(layout.outputHeight),
            .int(layout.outputWidth),
        ])
    }

    /// A device buffer holding `bytes`, uploaded through the staging memory like a tensor's floats (the call returns
    /// before the copy has run). The buffer may be released once the kernels that read it are enqueued: the queue is
    /// in order, so a recycled buffer is not overwritten before them.
    func uploadBytes(_ bytes: UnsafeRawBufferPointer, for what: String) throws -> CLBuffer {
        let buffer = try pool.buffer(bytes: max(bytes.count, 1), for: what)
        if let base = bytes.baseAddress, bytes.count > 0 {
            try staging.upload(base, bytes: bytes.count, to: buffer.mem, on: queue)
        }
        return buffer
    }
}

/// The kernel's parameter buffer (layout in Kernels/augment.cl): mean[3] and std[3], then one record of `stride`
/// floats per view: image, crop box, flip, jitter steps (kind, factor), grayscale, solarisation (flag, threshold),
/// blur kernel size, jigsaw grid and piece size, the blur's weights and the jigsaw's windows.
/// Integers below 2²⁴ are exact as floats; crop boxes and image indices of a batch that fits the kernel's 32-bit
/// indexing are far below.
struct AugmentRecords {
    static let header = 21
    let stride: Int
    private(set) var values: [Float]

    init(layout: AugmentLayout, views: [(image: Int, parameters: ViewParameters)]) {
        let tail = views.map {
            ($0.parameters.blur?.kernelSize ?? 0) + 2 * ($0.parameters.jigsaw?.pieces.count ?? 0)
        }.max() ?? 0
        stride = Self.header + tail
        let padding = Array(repeating: Float(0), count: 3 - layout.channels)
        values = layout.mean + padding + layout.std + padding
        for (image, view) in views {
            var record = [Float](repeating: 0, count: stride)
            record[0 ..< 7] = [Float(image), Float(view.crop.top), Float(view.crop.left), Float(view.crop.height),
                               Float(view.crop.width), view.flip ? 1 : 0, Float(view.jitter.count)]
            for (s, step) in view.jitter.enumerated() {
                record[7 + 2 * s] = Float(step.kind.rawValue)
                record[8 + 2 * s] = step.factor
            }
            record[15] = view.grayscale ? 1 : 0
            if let threshold = view.solarize { record[16 ..< 18] = [1, threshold] }
            let weights = view.blur?.weights ?? []
            record[18] = Float(weights.count)
            record.replaceSubrange(Self.header ..< Self.header + weights.count, with: weights)
            if let jigsaw = view.jigsaw {
                record[19 ..< 21] = [Float(jigsaw.grid), Float(jigsaw.size)]
                let windows = jigsaw.pieces.flatMap { [Float($0.top), Float($0.left)] }
                record.replaceSubrange(Self.header + weights.count ..< Self.header + weights.count + windows.count,
                                       with: windows)
            }
            values += record
        }
    }
}
