import CPUKernels

/// The im2col view of a convolution on the host. Its matrix has K = C·KH·KW rows, row (c, kh, kw), and one
/// column per output pixel of the batch, column (n, oh, ow), holding x[n, c, oh·s − p + kh, ow·s − p + kw]
/// (0 in the padding). The CPU convolution works on it one tile of columns at a time, so that a tile fits
/// the cache and is never stored whole.

/// Columns firstPixel ..< firstPixel + pixels of each of the images firstImage ..< firstImage + images; a tile of
/// several images covers them whole. Tile column t is image firstImage + t / pixels, pixel firstPixel + t % pixels.
struct ConvTile {
    let firstImage, images, firstPixel, pixels: Int
    var columns: Int { images * pixels }
}

/// How the N·OH·OW columns are cut into tiles of at most `maxColumns`: a large image is split into
/// `tilesPerImage` tiles, small images are grouped `imagesPerTile` to a tile. No two tiles share part of an
/// image unless they belong to the same image's split, so a run of `tilesPerImage` consecutive tiles covers
/// whole images.
struct ConvTiling {
    let batch, spatial: Int
    let imagesPerTile, tilesPerImage, pixelsPerTile: Int

    init(_ g: ConvGeometry, maxColumns: Int) {
        batch = g.batch
        spatial = g.outSpatial
        if spatial >= maxColumns {
            imagesPerTile = 1
            tilesPerImage = (spatial + maxColumns - 1) / maxColumns
            pixelsPerTile = (spatial + tilesPerImage - 1) / tilesPerImage
        } else {
            imagesPerTile = min(batch, maxColumns / spatial)
            tilesPerImage = 1
            pixelsPerTile = spatial
        }
    }

    var count: Int { tilesPerImage > 1 ? batch * tilesPerImage : (batch + imagesPerTile - 1) / imagesPerTile }
    var maxColumns: Int { imagesPerTile * pixelsPerTile }

    func tile(_ index: Int) -> ConvTile {
        if tilesPerImage == 1 {
            let first = index * imagesPerTile
            return ConvTile(firstImage: first, images: min(imagesPerTile, batch - first), firstPixel: 0, pixels: spatial)
        }
        let first = index % tilesPerImage * pixelsPerTile
        return ConvTile(firstImage: index / tilesPerImage, images: 1, firstPixel: first,
                        pixels: min(pixelsPerTile, spatial - first))
    }

    /// The images that tiles `range` cover (a range made of whole `tilesPerImage` runs).
    func images(_ range: Range<Int>) -> Range<Int> {
        tilesPerImage > 1 ? range.lowerBound / tilesPerImage..<range.upperBound / tilesPerImage
            : range.lowerBound * imagesPerTile..<min(batch, range.upperBound * imagesPerTile)
    }
}

/// A tensor [N, R, S] seen as the R × (N·S) matrix whose column (n, p) is element [n, r, p]: x of a pointwise
/// convolution, y, dy, and dx of a pointwise convolution.
struct BatchedMatrix {
    let base: UnsafeMutablePointer<Float>
    let rows, spatial: Int

    /// The tile's columns in place (leading dimension S) when the tile lies inside one image, else nil.
    func view(_ tile: ConvTile) -> UnsafeMutablePointer<Float>? {
        tile.images == 1 ? base + tile.firstImage * rows * spatial + tile.firstPixel : nil
    }

    /// Copies the tile's columns into `matrix` (R × tile.columns, row-major).
    func gather(_ tile: ConvTile, into matrix: UnsafeMutablePointer<Float>) {
        forEachImageRow(tile) { row, image, element in
            (matrix + row * tile.columns + image * tile.pixels).update(from: element, count: tile.pixels)
        }
    }

    /// Writes `matrix` (R × tile.columns) into the tile's columns, plus bias[r] on row r when given.
    func scatter(_ matrix: UnsafePointer<Float>, _ tile: ConvTile, bias: UnsafePointer<Float>?) {
        forEachImageRow(tile) { row, image, element in
            let source = matrix + row * tile.columns + image * tile.pixels
            if let bias {
                let shift = bias[row]
                for i in 0..<tile.pixels { element[i] = source[i] + shift }
            } else {
                element.update(from: source, count: tile.pixels)
            }
        }
    }

    @inline(__always)
    private func forEachImageRow(_ tile: ConvTile, _ body: (Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        for image in 0..<tile.images {
            let start = base + (tile.firstImage + image) * rows * spatial + tile.firstPixel
            for row in 0..<rows { body(row, image, start + row * spatial) }
        }
    }
}

/// Adds bias[r] to row r of a rows × columns matrix with leading dimension `ld`.
func addRowBias(_ bias: UnsafePointer<Float>, to matrix: UnsafeMutablePointer<Float>, rows: Int, columns: Int, ld: Int) {
    for row in 0..<rows {
        let shift = bias[row], line = matrix + row * ld
        for i in 0..<columns { line[i] += shift }
    }
}

extension ConvGeometry {
    /// Writes the tile's im2col columns of x into `columns` (K × tile.columns, row-major); strided runs go through
    /// the C kernel `strided_copy` of the CPU's instruction set (`kernels`).
    func im2col(_ x: UnsafePointer<Float>, _ tile: ConvTile, into columns: UnsafeMutablePointer<Float>,
                kernels: simile_cpu_kernels) {
        let ld = tile.columns
        func copy(_ row: Int, _ column: Int, _ input: Int, _ count: Int) {
            let destination = columns + row * ld + column, source = x + input
            if stride == 1 {
                destination.update(from: source, count: count)
            } else {
                kernels.strided_copy(destination, source, count, stride)
            }
        }
        func zeros(_ row: Int, _ column: Int, _ count: Int) {
            (columns + row * ld + column).update(repeating: 0, count: count)
        }
        if rowsAreShifts {
            forEachShiftedRun(tile, bordersFirst: false, run: copy, padding: zeros) { row, column in
                columns[row * ld + column] = 0
            }
        } else {
            forEachIm2colRun(tile, run: copy, padding: zeros)
        }
    }

    /// Adds the tile's im2col columns (K × tile.columns, row-major) into dx at the positions they were read
    /// from: the adjoint of `im2col`. Entries that read the zero padding may be set to 0 on the way. Strided runs go
    /// through the C kernel `strided_add`.
    func col2imAdd(_ columns: UnsafeMutablePointer<Float>, _ tile: ConvTile, into dx: UnsafeMutablePointer<Float>,
                   kernels: simile_cpu_kernels) {
        let ld = tile.columns
        func add(_ row: Int, _ column: Int, _ input: Int, _ count: Int) {
            let source = columns + row * ld + column, destination = dx + input
            if stride == 1 {
                for i in 0..<count { destination[i] += source[i] }
            } else {
                kernels.strided_add(destination, source, count, stride)
            }
        }
        if rowsAreShifts {
            forEachShiftedRun(tile, bordersFirst: true, run: add, padding: { _, _, _ in }) { row, column in
                columns[row * ld + column] = 0
            }
        } else {
            forEachIm2colRun(tile, run: add, padding: { _, _, _ in })
        }
    }

    /// Stride 1 and OW = W (padding (KW − 1)/2 on the left and right): along a row (c, kh, kw) of the im2col
    /// matrix, consecutive output rows read consecutive input rows, so the row is x's channel c shifted by
    /// (kh − p)·W + kw − p, one contiguous run per image — except the |kw − p| entries at the left or right end
    /// of each output row, which would wrap into the neighbouring input row and are padding.
    private var rowsAreShifts: Bool { stride == 1 && outWidth == width }

    /// Walks the tile's im2col matrix of a `rowsAreShifts` convolution: per row and image, `run(row, column,
    /// input, count)` for the contiguous run of entries that read x from offset `input` on, `padding(row, column,
    /// count)` for the output rows that read padding rows, and `border(row, column)` for each wrapped entry,
    /// before the run or after it (`bordersFirst`).
    @inline(__always)
    private func forEachShiftedRun(_ tile: ConvTile, bordersFirst: Bool, run: (Int, Int, Int, Int) -> Void,
                                   padding zeros: (Int, Int, Int) -> Void, border: (Int, Int) -> Void) {
        let plane = height * width
        for image in 0..<tile.images {
            let n = tile.firstImage + image
            let start = tile.firstPixel, end = start + tile.pixels, columnBase = image * tile.pixels - start
            for c in 0..<inChannels {
                let planeBase = (n * inChannels + c) * plane
                for kh in 0..<kernelHeight {
                    // Output row oh reads input row oh − p + kh; the valid ones satisfy 0 ≤ ih < H.
                    let validStart = max(start, (padding - kh) * width)
                    let validEnd = min(end, (height + padding - kh) * width)
                    for kw in 0..<kernelWidth {
                        let row = (c * kernelHeight + kh) * kernelWidth + kw
                        guard validStart < validEnd else {
                            zeros(row, columnBase + start, end - start)
                            continue
                        }
                        zeros(row, columnBase + start, validStart - start)
                        zeros(row, columnBase + validEnd, end - validEnd)
                        // Reads are clamped to the channel's plane; the entries this leaves out are wrapped ones.
                        let shift = (kh - padding) * width + kw - padding
                        let runStart = max(validStart, -shift), runEnd = min(validEnd, plane - shift)
                        let edge = kw - padding
                        func borders() {
                            guard edge != 0 else { return }
                            var rowStart = validStart / width * width
                            while rowStart < validEnd {
                                let wrapped = edge < 0 ? rowStart..<rowStart - edge : rowStart + width - edge..<rowStart + width
                                for pixel in wrapped where pixel >= validStart && pixel < validEnd {
                                    border(row, columnBase + pixel)
                                }
                                rowStart += width
                            }
                        }
                        if bordersFirst { borders() }
                        if runStart < runEnd { run(row, columnBase + runStart, planeBase + runStart + shift, runEnd - runStart) }
                        if !bordersFirst { borders() }
                    }
                }
            }
        }
    }

    /// Walks the tile's im2col matrix one output row segment at a time: `run(row, column, input, count)` for
    /// `count` entries from (row, column) that read x at offsets input, input + stride, …, and
    /// `padding(row, column, count)` for entries in the zero padding.
    @inline(__always)
    private func forEachIm2colRun(_ tile: ConvTile, run: (Int, Int, Int, Int) -> Void,
                                  padding zeros: (Int, Int, Int) -> Void) {
        let imageSize = inChannels * height * width
        // Output columns ow read iw = ow·s − p + kw; the valid ones, firstValid[kw] ..< endValid[kw], satisfy
        // 0 ≤ iw < W.
        let firstValid = (0..<kernelWidth).map { kw in padding - kw <= 0 ? 0 : (padding - kw + stride - 1) / stride }
        let endValid = (0..<kernelWidth).map { kw in width - 1 + padding - kw < 0 ? 0 : (width - 1 + padding - kw) / stride + 1 }
        for image in 0..<tile.images {
            let n = tile.firstImage + image
            var pixel = tile.firstPixel
            let end = tile.firstPixel + tile.pixels
            while pixel < end {
                let oh = pixel / outWidth, first = pixel % outWidth, last = min(outWidth, first + end - pixel)
                let column = image * tile.pixels + pixel - tile.firstPixel
                for c in 0..<inChannels {
                    for kh in 0..<kernelHeight {
                        let ih = oh * stride - padding + kh
                        let rowBase = (c * kernelHeight + kh) * kernelWidth
                        guard ih >= 0, ih < height else {
                            for kw in 0..<kernelWidth { zeros(rowBase + kw, column, last - first) }
                            continue
                        }
                        let inputRow = n * imageSize + (c * height + ih) * width
                        for kw in 0..<kernelWidth {
                            let row = rowBase + kw
                            let low = max(first, firstValid[kw]), high = min(last, endValid[kw])
                            guard low < high else {
                                zeros(row, column, last - first)
                                continue
                            }
                            if low > first { zeros(row, column, low - first) }
                            run(row, column + low - first, inputRow + low * stride - padding + kw, high - low)
                            if high < last { zeros(row, column + high - first, last - high) }
                        }
                    }
                }
                pixel += last - first
            }
        }
    }
}
