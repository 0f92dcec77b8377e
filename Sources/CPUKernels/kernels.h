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

static inline void store_part(float *p, vf v, size_t count) {
    float lanes[W];
    store(lanes, v);
    memcpy(p, lanes, count * sizeof(float));
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

static void tile_row_logsumexp(const float *s, size_t rows, size_t cols, size_t ld, float *shifts, float *sums) {
    for (size_t r = 0; r < rows; r++) {
        const float *row = s + r * ld;
        vf peak = splat(-INFINITY);
        size_t c = 0;
        for (; c + W <= cols; c += W) {
            vf values = load(row + c);
            peak = select(values > peak, values, peak);
        }
        float largest = lane_max(peak);
        for (; c < cols; c++) largest = row[c] > largest ? row[c] : largest;
        raise_shift(shifts + r, sums + r, largest);
        const vf shift = splat(usable(shifts[r]));
        vf total = splat(0);
        for (c = 0; c + W <= cols; c += W) total += vexp(load(row + c) - shift);
        if (c < cols) total += vexp(load_part(row + c, cols - c, -INFINITY) - shift);
        sums[r] += lane_sum(total);
    }
}

static void tile_col_logsumexp(const float *s, size_t rows, size_t cols, size_t ld, float *shifts, float *sums) {
    for (size_t c0 = 0; c0 < cols; c0 += W) {
        size_t width = cols - c0 < W ? cols - c0 : W;
        vf peak = splat(-INFINITY);
        for (size_t r = 0; r < rows; r++) {
            vf values = width == W ? load(s + r * ld + c0) : load_part(s + r * ld + c0, width, -INFINITY);
            peak = select(values > peak, values, peak);
        }
        float peaks[W], lane_shifts[W];
        store(peaks, peak);
        for (size_t lane = 0; lane < width; lane++) {
            raise_shift(shifts + c0 + lane, sums + c0 + lane, peaks[lane]);
            lane_shifts[lane] = usable(shifts[c0 + lane]);
        }
        for (size_t lane = width; lane < W; lane++) lane_shifts[lane] = 0;
        const vf shift = load(lane_shifts);
        vf total = splat(0);
        for (size_t r = 0; r < rows; r++) {
            vf values = width == W ? load(s + r * ld + c0) : load_part(s + r * ld + c0, width, -INFINITY);
            total += vexp(values - shift);
        }
        float totals[W];
        store(totals, total);
        for (size_t lane = 0; lane < width; lane++) sums[c0 + lane] += totals[lane];
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

const simile_cpu_kernels SIMILE_KERNELS = {
    .tile_exp_sums = tile_exp_sums,
    .tile_row_logsumexp = tile_row_logsumexp,
    .tile_col_logsumexp = tile_col_logsumexp,
    .tile_exp_scale = tile_exp_scale,
    .tile_two_softmaxes = tile_two_softmaxes,
};
