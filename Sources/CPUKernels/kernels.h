// The body of every instruction set's kernels (cpu_kernels.h documents each), written once on GCC/Clang vector
// extensions: kernels_<isa>.c includes it with SIMILE_VECTOR_BYTES (16, 32 or 64) and the ISA's target
// attribute, so the same source becomes SSE2, AVX2 + FMA or AVX-512 code. Loops run W = SIMILE_VECTOR_BYTES / 4
// float lanes at a time; a row's last partial vector is loaded with neutral lanes (−∞ for logits, 0 for sums).
#include <math.h>
#include <string.h>

#include "cpu_kernels.h"

#define W (SIMILE_VECTOR_BYTES / 4)
typedef float vf __attribute__((vector_size(SIMILE_VECTOR_BYTES)));
typedef int vi __attribute__((vector_size(SIMILE_VECTOR_BYTES)));

static inline vf load(const float *p) {
    vf v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void store(float *p, vf v) { memcpy(p, &v, sizeof v); }

static inline vf splat(float x) { return (vf){0} + x; }

// The first `count` (< W) floats at p, the other lanes `fill`.
static inline vf load_part(const float *p, size_t count, float fill) {
    float lanes[W];
    for (size_t i = 0; i < W; i++) lanes[i] = i < count ? p[i] : fill;
    return load(lanes);
}

// The first `count` (< W) lanes of v to p (a loop, not memcpy: a library call per short store costs more than it).
static inline void store_part(float *p, vf v, size_t count) {
    float lanes[W];
    store(lanes, v);
    for (size_t i = 0; i < count; i++) p[i] = lanes[i];
}

// mask ? a : b, lane by lane (mask lanes are all ones or all zeros, as comparisons make them).
static inline vf select(vi mask, vf a, vf b) { return (vf)(((vi)a & mask) | ((vi)b & ~mask)); }

static inline float lane_sum(vf v) {
    float lanes[W], total = 0;
    store(lanes, v);
    for (size_t i = 0; i < W; i++) total += lanes[i];
    return total;
}

static inline float lane_max(vf v) {
    float lanes[W], peak = -INFINITY;
    store(lanes, v);
    for (size_t i = 0; i < W; i++) peak = lanes[i] > peak ? lanes[i] : peak;
    return peak;
}

// exp(x): x = n·ln2 + r with |r| ≤ ln2/2 (n rounded by adding 1.5·2²³, whose bit pattern then holds n in its low
// bits), a degree-7 Taylor polynomial for e^r (relative error < 1e-7 there), and 2ⁿ built from its exponent
// bits. Below −87 (−∞ included) the result is 0, as 2ⁿ would leave the normal floats; above 88 it is clamped.
static inline vf vexp(vf x) {
    const vf lower = splat(-87.0f), upper = splat(88.0f), magic = splat(12582912.0f);
    vf c = select(x >= lower, x, lower);
    c = select(c > upper, upper, c);
    vf shifted = c * 1.44269504f + magic;
    vf n = shifted - magic;
    vf r = c - n * 0.69314575f - n * 1.4286068e-6f;
    vf p = splat(1.0f / 5040);
    p = p * r + 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    vi exponent = ((vi)shifted - 0x4B400000 + 127) << 23;
    return select(x < lower, splat(0), p * (vf)exponent);
}

// A running shift of −∞ (nothing but masked entries seen yet) is used as 0, so that −∞ − shift stays −∞.
static inline float usable(float shift) { return shift == -INFINITY ? 0 : shift; }

static inline void tile_exp_sums_impl(const float *s, size_t rows, size_t cols, size_t ld, float shift,
                                      float *row_sums, float *col_sums, int with_columns) {
    const vf shifts = splat(shift);
    for (size_t r = 0; r < rows; r++) {
        const float *row = s + r * ld;
        vf total = splat(0);
        size_t c = 0;
        for (; c + W <= cols; c += W) {
            vf e = vexp(load(row + c) - shifts);
            total += e;
            if (with_columns) store(col_sums + c, load(col_sums + c) + e);
        }
        if (c < cols) {
            vf e = vexp(load_part(row + c, cols - c, -INFINITY) - shifts);
            total += e;
            if (with_columns) store_part(col_sums + c, load_part(col_sums + c, cols - c, 0) + e, cols - c);
        }
        row_sums[r] += lane_sum(total);
    }
}

static void tile_exp_sums(const float *s, size_t rows, size_t cols, size_t ld, float shift, float *row_sums,
                          float *col_sums) {
    if (col_sums) {
        tile_exp_sums_impl(s, rows, cols, ld, shift, row_sums, col_sums, 1);
    } else {
        tile_exp_sums_impl(s, rows, cols, ld, shift, row_sums, NULL, 0);
    }
}

// Raises a running (shift, sum) pair to `peak` when that is larger.
static inline void raise_shift(float *shift, float *sum, float peak) {
    if (peak <= *shift) return;
    *sum *= expf(*shift - peak);
    *shift = peak;
}

// Below τ = 0.025 each entry is needed against its row's shift a and its column's b: exp(v − b) is
// exp(v − a)·exp(a − centre)·exp(centre − b), one vector exp and a product instead of two exps, wherever every
// row-column pair of the tile has |a − b| ≤ FACTOR_RANGE. The product then only differs from exp(v − b) where
// exp(v − a) underflows (v − a < −87), that is where exp(v − b) < e^(−87 + 57) = e^−30: terms of a sum or a
// probability whose largest term is 1, below float's resolution of it. Tiles with a wider spread take two exps.
#define FACTOR_RANGE 57.0f

// Whether a tile's row shifts rows[0 ..< n_rows] and column shifts cols[0 ..< n_cols] (−∞ used as 0) lie within
// FACTOR_RANGE of each other; `centre` is their midpoint.
static inline int factorable(const float *rows, size_t n_rows, const float *cols, size_t n_cols, float *centre) {
    float low = INFINITY, high = -INFINITY;
    for (size_t i = 0; i < n_rows + n_cols; i++) {
        float shift = usable(i < n_rows ? rows[i] : cols[i - n_rows]);
        low = shift < low ? shift : low;
        high = shift > high ? shift : high;
    }
    *centre = (low + high) / 2;
    return high - low <= FACTOR_RANGE;
}

// Columns tile_logsumexp takes at a time: their running maxima, shifts and sums stay in L1 as the rows stream by.
#define LSE_COLUMNS 256

// tile_logsumexp on columns 0..<cols (≤ LSE_COLUMNS) of the tile at s, in two passes: the row and column maxima
// (raising the running shifts), then each entry's exp against its row's shift and, with columns, its column's.
static inline void chunk_logsumexp(const float *s, size_t rows, size_t cols, size_t ld, float *row_shifts,
                                   float *row_sums, float *col_shifts, float *col_sums, int with_columns) {
    float peaks[LSE_COLUMNS + W], shifts[LSE_COLUMNS + W], totals[LSE_COLUMNS + W];
    if (with_columns) {
        for (size_t c = 0; c < cols + W; c++) peaks[c] = -INFINITY;
    }
    for (size_t r = 0; r < rows; r++) {
        const float *row = s + r * ld;
        vf peak = splat(-INFINITY);
        for (size_t c = 0; c < cols; c += W) {
            vf values = c + W <= cols ? load(row + c) : load_part(row + c, cols - c, -INFINITY);
            peak = select(values > peak, values, peak);
            if (with_columns) {
                vf column = load(peaks + c);
                store(peaks + c, select(values > column, values, column));
            }
        }
        raise_shift(row_shifts + r, row_sums + r, lane_max(peak));
    }
    if (with_columns) {
        for (size_t c = 0; c < cols + W; c++) {
            if (c < cols) {
                raise_shift(col_shifts + c, col_sums + c, peaks[c]);
                shifts[c] = usable(col_shifts[c]);
            } else {
                shifts[c] = 0;
            }
            totals[c] = 0;
        }
    }
    float centre = 0;
    int factored = with_columns && factorable(row_shifts, rows, shifts, cols, &centre);
    if (factored) {
        for (size_t c = 0; c < cols + W; c++) shifts[c] = c < cols ? expf(centre - shifts[c]) : 0;
    }
    for (size_t r = 0; r < rows; r++) {
        const float *row = s + r * ld;
        const vf shift = splat(usable(row_shifts[r]));
        const vf row_factor = splat(factored ? expf(usable(row_shifts[r]) - centre) : 0);
        vf total = splat(0);
        for (size_t c = 0; c < cols; c += W) {
            vf values = c + W <= cols ? load(row + c) : load_part(row + c, cols - c, -INFINITY);
            vf e = vexp(values - shift);
            total += e;
            if (factored) {
                store(totals + c, load(totals + c) + e * (row_factor * load(shifts + c)));
            } else if (with_columns) {
                store(totals + c, load(totals + c) + vexp(values - load(shifts + c)));
            }
        }
        row_sums[r] += lane_sum(total);
    }
    if (with_columns) {
        for (size_t c = 0; c < cols; c++) col_sums[c] += totals[c];
    }
}

static void tile_logsumexp(const float *s, size_t rows, size_t cols, size_t ld, float *row_shifts, float *row_sums,
                           float *col_shifts, float *col_sums) {
    // Chunks of columns are consecutive parts of each row, which the online log-sum-exp takes one after another.
    for (size_t c0 = 0; c0 < cols; c0 += LSE_COLUMNS) {
        size_t width = cols - c0 < LSE_COLUMNS ? cols - c0 : LSE_COLUMNS;
        if (col_shifts) {
            chunk_logsumexp(s + c0, rows, width, ld, row_shifts, row_sums, col_shifts + c0, col_sums + c0, 1);
        } else {
            chunk_logsumexp(s + c0, rows, width, ld, row_shifts, row_sums, NULL, NULL, 0);
        }
    }
}

static void tile_exp_scale(float *s, size_t rows, size_t cols, size_t ld, float shift, const float *row_scale,
                           const float *col_scale) {
    const vf shifts = splat(shift);
    for (size_t r = 0; r < rows; r++) {
        float *row = s + r * ld;
        const vf scale = splat(row_scale[r]);
        size_t c = 0;
        for (; c + W <= cols; c += W) store(row + c, vexp(load(row + c) - shifts) * (load(col_scale + c) + scale));
        if (c < cols) {
            vf e = vexp(load_part(row + c, cols - c, -INFINITY) - shifts);
            store_part(row + c, e * (load_part(col_scale + c, cols - c, 0) + scale), cols - c);
        }
    }
}

static void tile_two_softmaxes(float *s, size_t rows, size_t cols, size_t ld, const float *row_lse,
                               const float *col_lse) {
    float centre;
    if (factorable(row_lse, rows, col_lse, cols, &centre)) {
        for (size_t c0 = 0; c0 < cols; c0 += LSE_COLUMNS) {
            size_t width = cols - c0 < LSE_COLUMNS ? cols - c0 : LSE_COLUMNS;
            float factors[LSE_COLUMNS + W];
            for (size_t c = 0; c < width + W; c++) factors[c] = c < width ? expf(centre - col_lse[c0 + c]) : 0;
            for (size_t r = 0; r < rows; r++) {
                float *row = s + r * ld + c0;
                const vf lse = splat(row_lse[r]), row_factor = splat(expf(row_lse[r] - centre));
                for (size_t c = 0; c < width; c += W) {
                    vf values = c + W <= width ? load(row + c) : load_part(row + c, width - c, -INFINITY);
                    vf e = vexp(values - lse);
                    vf both = e + e * (row_factor * load(factors + c));
                    if (c + W <= width) store(row + c, both); else store_part(row + c, both, width - c);
                }
            }
        }
        return;
    }
    for (size_t r = 0; r < rows; r++) {
        float *row = s + r * ld;
        const vf lse = splat(row_lse[r]);
        size_t c = 0;
        for (; c + W <= cols; c += W) {
            vf values = load(row + c);
            store(row + c, vexp(values - lse) + vexp(values - load(col_lse + c)));
        }
        if (c < cols) {
            vf values = load_part(row + c, cols - c, -INFINITY);
            store_part(row + c, vexp(values - lse) + vexp(values - load_part(col_lse + c, cols - c, 0)), cols - c);
        }
    }
}

// Winograd F(4×4, 3×3) (Lavin & Gray 2015), one lane per tile:
//
//     Bᵀ = [4  0 −5  0  1  0]     Aᵀ = [1  1  1  1  1  0]
//          [0 −4 −4  1  1  0]          [0  1 −1  2 −2  0]
//          [0  4 −4 −1  1  0]          [0  1  1  4  4  0]
//          [0 −2 −1  2  1  0]          [0  1 −1  8 −8  1]
//          [0  2 −1 −2  1  0]
//          [0  4  0 −5  0  1]
//
// Tile t's window entry j of a row is row[left + 4t + j], so each window row is first split into four phases,
// phase q holding row[left + 4l + q] for l = 0, 1, …: entry j of the W tiles from l0 is then one contiguous load,
// phase j mod 4 from l0 + j / 4.

// Phase entries the transforms read for `tiles` tiles: whole vectors of lanes, plus the one after (entries 4 and 5
// of a window are entries 0 and 1 of the next tile's).
static inline size_t phase_entries(size_t tiles) { return (tiles + W - 1) / W * W + 1; }

typedef float v4 __attribute__((vector_size(16)));

// The 4 × 4 transpose: out[q] holds entry q of groups[0..3]. Four consecutive tiles' four columns become their four
// phases in eight shuffles instead of sixteen scalar moves (the 32×32 layer's forward pass and input gradient
// measured about 8% faster).
static inline void transpose4(const v4 groups[4], v4 out[4]) {
    v4 low01 = __builtin_shufflevector(groups[0], groups[1], 0, 4, 1, 5);
    v4 low23 = __builtin_shufflevector(groups[2], groups[3], 0, 4, 1, 5);
    v4 high01 = __builtin_shufflevector(groups[0], groups[1], 2, 6, 3, 7);
    v4 high23 = __builtin_shufflevector(groups[2], groups[3], 2, 6, 3, 7);
    out[0] = __builtin_shufflevector(low01, low23, 0, 1, 4, 5);
    out[1] = __builtin_shufflevector(low01, low23, 2, 3, 6, 7);
    out[2] = __builtin_shufflevector(high01, high23, 0, 1, 4, 5);
    out[3] = __builtin_shufflevector(high01, high23, 2, 3, 6, 7);
}

// Splits a row into four phases of `count` entries each, phases[q·length + l] = row[left + 4l + q], zero where that
// leaves 0..<width (and everywhere when row is NULL, a row outside the image).
static inline void split_phases(const float *row, ptrdiff_t left, size_t width, size_t count, float *phases,
                                size_t length) {
    if (!row) {
        for (size_t q = 0; q < 4; q++) memset(phases + q * length, 0, count * sizeof(float));
        return;
    }
    // Entries l in [inside_begin, inside_end) read four columns inside the row, with no bounds checks.
    ptrdiff_t begin = left < 0 ? (-left + 3) / 4 : 0;
    ptrdiff_t end = ((ptrdiff_t)width - left - 4) >= 0 ? ((ptrdiff_t)width - left - 4) / 4 + 1 : 0;
    size_t inside_begin = (size_t)begin < count ? (size_t)begin : count;
    size_t inside_end = end > begin ? ((size_t)end < count ? (size_t)end : count) : inside_begin;
    for (size_t l = 0; l < count; l++) {
        if (l == inside_begin && inside_begin < inside_end) {
            const float *source = row + left + 4 * (ptrdiff_t)l;
            size_t k = 0, inside = inside_end - inside_begin;
            for (; k + 4 <= inside; k += 4) {
                v4 groups[4], phase[4];
                for (size_t t = 0; t < 4; t++) memcpy(&groups[t], source + 4 * (k + t), sizeof(v4));
                transpose4(groups, phase);
                for (size_t q = 0; q < 4; q++) memcpy(phases + q * length + l + k, &phase[q], sizeof(v4));
            }
            for (; k < inside; k++) {
                phases[l + k] = source[4 * k];
                phases[length + l + k] = source[4 * k + 1];
                phases[2 * length + l + k] = source[4 * k + 2];
                phases[3 * length + l + k] = source[4 * k + 3];
            }
            l = inside_end - 1;
            continue;
        }
        for (size_t q = 0; q < 4; q++) {
            ptrdiff_t column = left + (ptrdiff_t)(4 * l + q);
            phases[q * length + l] = column >= 0 && column < (ptrdiff_t)width ? row[column] : 0;
        }
    }
}

// Column j of a 6×6 transformed tile group: entry ξ = 6i + j to out[ξ·stride], the first `lanes` lanes.
static inline void store_column(float *out, size_t stride, size_t j, const vf entries[6], size_t lanes) {
    for (size_t i = 0; i < 6; i++) {
        float *target = out + (6 * i + j) * stride;
        if (lanes == W) store(target, entries[i]); else store_part(target, entries[i], lanes);
    }
}

// Bᵀ applied to a column (or, transposed, d B to a row) of six vectors.
static inline void winograd4_b(const vf d[6], vf out[6]) {
    out[0] = 4 * d[0] - 5 * d[2] + d[4];
    out[1] = d[3] + d[4] - 4 * (d[1] + d[2]);
    out[2] = 4 * (d[1] - d[2]) + d[4] - d[3];
    out[3] = 2 * (d[3] - d[1]) + d[4] - d[2];
    out[4] = 2 * (d[1] - d[3]) + d[4] - d[2];
    out[5] = 4 * d[1] - 5 * d[3] + d[5];
}

// Aᵀ applied to a column (or m A to a row) of six vectors.
static inline void winograd4_a(const vf m[6], vf out[4]) {
    vf sum12 = m[1] + m[2], diff12 = m[1] - m[2], sum34 = m[3] + m[4], diff34 = m[3] - m[4];
    out[0] = m[0] + sum12 + sum34;
    out[1] = diff12 + 2 * diff34;
    out[2] = sum12 + 4 * sum34;
    out[3] = diff12 + 8 * diff34 + m[5];
}

// Bᵀ d B of W tiles, d[i][j] holding entry (i, j) of each lane's window; column j of the result via store_column.
static inline void winograd4_input_group(const vf d[6][6], float *out, size_t stride, size_t lanes) {
    vf rows[6][6];
    for (size_t i = 0; i < 6; i++) winograd4_b(d[i], rows[i]);
    for (size_t j = 0; j < 6; j++) {
        vf column[6], v[6];
        for (size_t i = 0; i < 6; i++) column[i] = rows[i][j];
        winograd4_b(column, v);
        store_column(out, stride, j, v, lanes);
    }
}

// Input transform of one tile row, `tiles` tiles side by side: tile t's window covers rows top ..< top + 6 and
// columns left + 4t ..< left + 4t + 6 of `plane` (zero outside it); entry ξ to out[ξ·stride + t].
static void winograd4_input_row(const float *plane, size_t height, size_t width, ptrdiff_t top, ptrdiff_t left,
                                size_t tiles, float *out, size_t stride, float *scratch) {
    const size_t length = tiles + 17, used = phase_entries(tiles);
    for (size_t i = 0; i < 6; i++) {
        ptrdiff_t ih = top + (ptrdiff_t)i;
        split_phases(ih >= 0 && ih < (ptrdiff_t)height ? plane + (size_t)ih * width : NULL, left, width, used,
                     scratch + 4 * i * length, length);
    }
    for (size_t l0 = 0; l0 < tiles; l0 += W) {
        vf d[6][6];
        for (size_t i = 0; i < 6; i++) {
            for (size_t j = 0; j < 6; j++) d[i][j] = load(scratch + (4 * i + j % 4) * length + l0 + j / 4);
        }
        winograd4_input_group(d, out + l0, stride, tiles - l0 < W ? tiles - l0 : W);
    }
}

// Input transform of `tiles` consecutive tiles counted over the batch from tile `first`, one gathered window per
// lane; tile t's entry ξ to out[ξ·stride + t − first].
static void winograd4_input_gather(const float *x, size_t image_stride, size_t height, size_t width,
                                   ptrdiff_t padding, size_t tiles_y, size_t tiles_x, size_t first, size_t tiles,
                                   float *out, size_t stride) {
    for (size_t l0 = 0; l0 < tiles; l0 += W) {
        size_t lanes = tiles - l0 < W ? tiles - l0 : W;
        float window[36][W];
        for (size_t lane = 0; lane < W; lane++) {
            if (lane >= lanes) {
                for (size_t k = 0; k < 36; k++) window[k][lane] = 0;
                continue;
            }
            size_t t = first + l0 + lane, row = t / tiles_x, tx = t % tiles_x;
            const float *plane = x + row / tiles_y * image_stride;
            ptrdiff_t top = 4 * (ptrdiff_t)(row % tiles_y) - padding, left = 4 * (ptrdiff_t)tx - padding;
            for (size_t i = 0; i < 6; i++) {
                ptrdiff_t ih = top + (ptrdiff_t)i;
                for (size_t j = 0; j < 6; j++) {
                    ptrdiff_t iw = left + (ptrdiff_t)j;
                    int inside = ih >= 0 && ih < (ptrdiff_t)height && iw >= 0 && iw < (ptrdiff_t)width;
                    window[6 * i + j][lane] = inside ? plane[ih * (ptrdiff_t)width + iw] : 0;
                }
            }
        }
        vf d[6][6];
        for (size_t i = 0; i < 6; i++) {
            for (size_t j = 0; j < 6; j++) d[i][j] = load(window[6 * i + j]);
        }
        winograd4_input_group(d, out + l0, stride, lanes);
    }
}

// Aᵀ m A + bias of the W tiles whose entry ξ is at m[ξ·stride + lane] (the first `lanes` lanes), into y[a][b][lane].
static inline void winograd4_output_group(const float *m, size_t stride, size_t lanes, float bias, float y[4][4][W]) {
    vf partial[6][4];
    for (size_t i = 0; i < 6; i++) {
        vf entries[6];
        for (size_t j = 0; j < 6; j++) {
            const float *source = m + (6 * i + j) * stride;
            entries[j] = lanes == W ? load(source) : load_part(source, lanes, 0);
        }
        winograd4_a(entries, partial[i]);
    }
    for (size_t b = 0; b < 4; b++) {
        vf column[6], result[4];
        for (size_t i = 0; i < 6; i++) column[i] = partial[i][b];
        winograd4_a(column, result);
        for (size_t a = 0; a < 4; a++) store(y[a][b], result[a] + bias);
    }
}

// Row a of the four tiles in lanes lane ..< lane + 4 of y: rows[k] is tile lane + k's (the 4 × 4 transpose), so that
// each goes out as one 16-byte store instead of four scalar ones.
static inline void tile_rows(const float y[4][4][W], size_t a, size_t lane, v4 rows[4]) {
    v4 columns[4];
    for (size_t b = 0; b < 4; b++) memcpy(&columns[b], &y[a][b][lane], sizeof(v4));
    transpose4(columns, rows);
}

// Output transform of one tile row: tile t's 4×4 block to out[a·ld + 4t + b], clipped to `rows` × `cols`.
static void winograd4_output_row(const float *m, size_t stride, size_t tiles, float bias, float *out, size_t ld,
                                 size_t rows, size_t cols) {
    for (size_t l0 = 0; l0 < tiles; l0 += W) {
        size_t lanes = tiles - l0 < W ? tiles - l0 : W;
        float y[4][4][W];
        winograd4_output_group(m + l0, stride, lanes, bias, y);
        for (size_t a = 0; a < rows; a++) {
            float *line = out + a * ld;
            size_t lane = 0;
            // Four whole tiles side by side: their row a is 16 consecutive outputs.
            for (; lane + 4 <= lanes && 4 * (l0 + lane) + 16 <= cols; lane += 4) {
                v4 tile_row[4];
                tile_rows(y, a, lane, tile_row);
                memcpy(line + 4 * (l0 + lane), tile_row, sizeof tile_row);
            }
            for (; lane < lanes; lane++) {
                size_t column = 4 * (l0 + lane);
                for (size_t b = 0; b < 4 && column + b < cols; b++) line[column + b] = y[a][b][lane];
            }
        }
    }
}

// Where tile t (counted over the batch, as in winograd4_input_gather) starts in a plane of image 0's layout: its
// image's offset plus its top-left corner, and how many of its 4×4 rows and columns lie inside height × width.
static inline size_t tile_origin(size_t t, size_t tiles_y, size_t tiles_x, size_t image_stride, size_t height,
                                 size_t width, size_t *rows, size_t *cols) {
    size_t row = t / tiles_x, ty = row % tiles_y, tx = t % tiles_x;
    *rows = height - 4 * ty < 4 ? height - 4 * ty : 4;
    *cols = width - 4 * tx < 4 ? width - 4 * tx : 4;
    return row / tiles_y * image_stride + 4 * ty * width + 4 * tx;
}

// Output transform of `tiles` consecutive tiles counted over the batch from tile `first`, each lane's block scattered
// to its place; tile t's entry ξ from m[ξ·stride + t − first].
static void winograd4_output_scatter(const float *m, size_t stride, size_t tiles_y, size_t tiles_x, size_t first,
                                     size_t tiles, float bias, float *y, size_t image_stride, size_t height,
                                     size_t width) {
    for (size_t l0 = 0; l0 < tiles; l0 += W) {
        size_t lanes = tiles - l0 < W ? tiles - l0 : W;
        float values[4][4][W];
        winograd4_output_group(m + l0, stride, lanes, bias, values);
        for (size_t lane = 0; lane < lanes; lane++) {
            size_t rows, cols;
            float *target = y + tile_origin(first + l0 + lane, tiles_y, tiles_x, image_stride, height, width, &rows,
                                            &cols);
            for (size_t a = 0; a < rows; a++) {
                for (size_t b = 0; b < cols; b++) target[a * width + b] = values[a][b][lane];
            }
        }
    }
}

// A applied to a column (or y Aᵀ to a row) of four vectors: the adjoint of winograd4_a.
static inline void winograd4_a_adjoint(const vf y[4], vf out[6]) {
    vf even = y[0] + y[2], odd = y[1] + y[3], even4 = y[0] + 4 * y[2], odd2 = 2 * y[1] + 8 * y[3];
    out[0] = y[0];
    out[1] = even + odd;
    out[2] = even - odd;
    out[3] = even4 + odd2;
    out[4] = even4 - odd2;
    out[5] = y[3];
}

// A y Aᵀ of W tiles, y[a][b] holding entry (a, b) of each lane's 4×4 block; entry ξ = 6i + j to out[ξ·stride].
static inline void winograd4_output_gradient_group(const vf y[4][4], float *out, size_t stride, size_t lanes) {
    vf rows_a[4][6];
    for (size_t a = 0; a < 4; a++) winograd4_a_adjoint(y[a], rows_a[a]);
    for (size_t j = 0; j < 6; j++) {
        vf column[4], entries[6];
        for (size_t a = 0; a < 4; a++) column[a] = rows_a[a][j];
        winograd4_a_adjoint(column, entries);
        store_column(out, stride, j, entries, lanes);
    }
}

// dy transform of one tile row: tile t's block at dy[a·ld + 4t + b], zero past `rows` × `cols`.
static void winograd4_output_gradient_row(const float *dy, size_t ld, size_t rows, size_t cols, size_t tiles,
                                          float *out, size_t stride, float *scratch) {
    const size_t length = tiles + 17, used = phase_entries(tiles);
    for (size_t a = 0; a < 4; a++) {
        split_phases(a < rows ? dy + a * ld : NULL, 0, cols, used, scratch + 4 * a * length, length);
    }
    for (size_t l0 = 0; l0 < tiles; l0 += W) {
        vf y[4][4];
        for (size_t a = 0; a < 4; a++) {
            for (size_t b = 0; b < 4; b++) y[a][b] = load(scratch + (4 * a + b) * length + l0);
        }
        winograd4_output_gradient_group(y, out + l0, stride, tiles - l0 < W ? tiles - l0 : W);
    }
}

// dy transform of `tiles` consecutive tiles counted over the batch from tile `first`, each lane's block gathered.
static void winograd4_output_gradient_gather(const float *dy, size_t image_stride, size_t height, size_t width,
                                             size_t tiles_y, size_t tiles_x, size_t first, size_t tiles, float *out,
                                             size_t stride) {
    for (size_t l0 = 0; l0 < tiles; l0 += W) {
        size_t lanes = tiles - l0 < W ? tiles - l0 : W;
        float block[4][4][W];
        memset(block, 0, sizeof block);
        for (size_t lane = 0; lane < lanes; lane++) {
            size_t rows, cols;
            const float *source = dy + tile_origin(first + l0 + lane, tiles_y, tiles_x, image_stride, height, width,
                                                   &rows, &cols);
            for (size_t a = 0; a < rows; a++) {
                for (size_t b = 0; b < cols; b++) block[a][b][lane] = source[a * width + b];
            }
        }
        vf y[4][4];
        for (size_t a = 0; a < 4; a++) {
            for (size_t b = 0; b < 4; b++) y[a][b] = load(block[a][b]);
        }
        winograd4_output_gradient_group(y, out + l0, stride, lanes);
    }
}

// The table's Winograd entries (cpu_kernels.h): tile rows narrower than a vector go to the gather and scatter forms,
// wider ones row by row.
static void winograd4_input(const float *plane, size_t image_stride, size_t height, size_t width, ptrdiff_t padding,
                            size_t tiles_y, size_t tiles_x, size_t first_row, size_t rows, float *out, size_t stride,
                            float *scratch) {
    if (tiles_x < W) {
        winograd4_input_gather(plane, image_stride, height, width, padding, tiles_y, tiles_x, first_row * tiles_x,
                               rows * tiles_x, out, stride);
        return;
    }
    for (size_t r = 0; r < rows; r++) {
        size_t row = first_row + r, ty = row % tiles_y;
        winograd4_input_row(plane + row / tiles_y * image_stride, height, width, 4 * (ptrdiff_t)ty - padding,
                            -padding, tiles_x, out + r * tiles_x, stride, scratch);
    }
}

static void winograd4_output(const float *m, size_t stride, float bias, float *plane, size_t image_stride,
                             size_t height, size_t width, size_t tiles_y, size_t tiles_x, size_t first_row,
                             size_t rows) {
    if (tiles_x < W) {
        winograd4_output_scatter(m, stride, tiles_y, tiles_x, first_row * tiles_x, rows * tiles_x, bias, plane,
                                 image_stride, height, width);
        return;
    }
    for (size_t r = 0; r < rows; r++) {
        size_t inside, unused;
        size_t origin = tile_origin((first_row + r) * tiles_x, tiles_y, tiles_x, image_stride, height, width, &inside,
                                    &unused);
        winograd4_output_row(m + r * tiles_x, stride, tiles_x, bias, plane + origin, width, inside, width);
    }
}

static void winograd4_output_gradient(const float *plane, size_t image_stride, size_t height, size_t width,
                                      size_t tiles_y, size_t tiles_x, size_t first_row, size_t rows, float *out,
                                      size_t stride, float *scratch) {
    if (tiles_x < W) {
        winograd4_output_gradient_gather(plane, image_stride, height, width, tiles_y, tiles_x, first_row * tiles_x,
                                         rows * tiles_x, out, stride);
        return;
    }
    for (size_t r = 0; r < rows; r++) {
        size_t inside, unused;
        size_t origin = tile_origin((first_row + r) * tiles_x, tiles_y, tiles_x, image_stride, height, width, &inside,
                                    &unused);
        winograd4_output_gradient_row(plane + origin, width, inside, width, tiles_x, out + r * tiles_x, stride,
                                      scratch);
    }
}

// Strided runs of im2col and col2im. Stride 2 (ResNet's downsampling convolutions) moves four entries per step with
// 16-byte shuffles; the vector steps stop one entry early, so that they never touch src (copy) or dst (add) past
// the run's last strided entry.
static void strided_copy(float *dst, const float *src, size_t count, size_t stride) {
    size_t i = 0;
    if (stride == 2) {
        for (; i + 5 <= count; i += 4) {
            v4 low, high;
            memcpy(&low, src + 2 * i, sizeof low);
            memcpy(&high, src + 2 * i + 4, sizeof high);
            v4 even = __builtin_shufflevector(low, high, 0, 2, 4, 6);
            memcpy(dst + i, &even, sizeof even);
        }
    }
    for (; i < count; i++) dst[i] = src[i * stride];
}

static void strided_add(float *dst, const float *src, size_t count, size_t stride) {
    size_t i = 0;
    if (stride == 2) {
        const v4 zero = {0, 0, 0, 0};
        for (; i + 5 <= count; i += 4) {
            v4 values, low, high;
            memcpy(&values, src + i, sizeof values);
            memcpy(&low, dst + 2 * i, sizeof low);
            memcpy(&high, dst + 2 * i + 4, sizeof high);
            low += __builtin_shufflevector(values, zero, 0, 4, 1, 5);
            high += __builtin_shufflevector(values, zero, 2, 6, 3, 7);
            memcpy(dst + 2 * i, &low, sizeof low);
            memcpy(dst + 2 * i + 4, &high, sizeof high);
        }
    }
    for (; i < count; i++) dst[i * stride] += src[i];
}

// The optimisers: one pass over p, g and the state, W elements at a time (the last vector partial).

// The update with the rule's flags as arguments: momentum_step calls it with constant flags, so that each of its
// four loops is compiled without them (tested per element, they kept the loop at a third of AdamW's speed).
static inline __attribute__((always_inline)) vf momentum_update(vf p, vf g, vf *buffer, float learning_rate,
                                                                float weight_decay, float scale, float momentum,
                                                                int with_buffer, int nesterov, int first) {
    vf d = scale * (g + weight_decay * p);
    if (with_buffer) {
        *buffer = first ? d : momentum * *buffer + d;
        d = nesterov ? d + momentum * *buffer : *buffer;
    }
    return p - learning_rate * d;
}

static inline __attribute__((always_inline)) void momentum_loop(simile_momentum_rule r, float *p, const float *g,
                                                                float *buffer, size_t count, int with_buffer,
                                                                int nesterov, int first) {
    const float learning_rate = r.learning_rate, weight_decay = r.weight_decay, scale = r.scale;
    const float momentum = r.momentum;
    size_t i = 0;
    for (; i + W <= count; i += W) {
        vf b = with_buffer && !first ? load(buffer + i) : splat(0);
        store(p + i, momentum_update(load(p + i), load(g + i), &b, learning_rate, weight_decay, scale, momentum,
                                     with_buffer, nesterov, first));
        if (with_buffer) store(buffer + i, b);
    }
    if (i < count) {
        size_t n = count - i;
        vf b = with_buffer && !first ? load_part(buffer + i, n, 0) : splat(0);
        store_part(p + i, momentum_update(load_part(p + i, n, 0), load_part(g + i, n, 0), &b, learning_rate,
                                          weight_decay, scale, momentum, with_buffer, nesterov, first), n);
        if (with_buffer) store_part(buffer + i, b, n);
    }
}

static void momentum_step(simile_momentum_rule rule, float *p, const float *g, float *buffer, size_t count) {
    if (!(rule.momentum > 0) || !buffer) {
        momentum_loop(rule, p, g, NULL, count, 0, 0, 0);
    } else if (rule.first) {
        momentum_loop(rule, p, g, buffer, count, 1, rule.nesterov != 0, 1);
    } else if (rule.nesterov) {
        momentum_loop(rule, p, g, buffer, count, 1, 1, 0);
    } else {
        momentum_loop(rule, p, g, buffer, count, 1, 0, 0);
    }
}

static inline vf adamw_update(simile_adamw_rule r, vf p, vf g, vf *m, vf *v) {
    *m = r.beta1 * *m + (1 - r.beta1) * g;
    *v = r.beta2 * *v + (1 - r.beta2) * g * g;
    p *= 1 - r.learning_rate * r.weight_decay;
    return p - (r.learning_rate / r.c1) * *m / (__builtin_elementwise_sqrt(*v) / sqrtf(r.c2) + r.eps);
}

static void adamw_step(simile_adamw_rule rule, float *p, const float *g, float *m, float *v, size_t count) {
    size_t i = 0;
    for (; i + W <= count; i += W) {
        vf mv = load(m + i), vv = load(v + i);
        store(p + i, adamw_update(rule, load(p + i), load(g + i), &mv, &vv));
        store(m + i, mv);
        store(v + i, vv);
    }
    if (i < count) {
        size_t n = count - i;
        vf mv = load_part(m + i, n, 0), vv = load_part(v + i, n, 0);
        store_part(p + i, adamw_update(rule, load_part(p + i, n, 0), load_part(g + i, n, 0), &mv, &vv), n);
        store_part(m + i, mv, n);
        store_part(v + i, vv, n);
    }
}

const simile_cpu_kernels SIMILE_KERNELS = {
    .tile_exp_sums = tile_exp_sums,
    .tile_logsumexp = tile_logsumexp,
    .tile_exp_scale = tile_exp_scale,
    .tile_two_softmaxes = tile_two_softmaxes,
    .winograd4_input = winograd4_input,
    .winograd4_output = winograd4_output,
    .winograd4_output_gradient = winograd4_output_gradient,
    .strided_copy = strided_copy,
    .strided_add = strided_add,
    .momentum_step = momentum_step,
    .adamw_step = adamw_step,
};
