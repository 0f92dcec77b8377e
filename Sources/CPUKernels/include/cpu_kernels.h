// The CPU backend's hot loops in C, compiled once per instruction set (baseline x86-64, AVX2 + FMA, AVX-512)
// and picked at run time, so that one portable binary runs them at the machine's vector width. Swift compiles
// for baseline x86-64 only, where a 16-float SIMD vector runs as four 128-bit operations.
#ifndef SIMILE_CPU_KERNELS_H
#define SIMILE_CPU_KERNELS_H

#include <stddef.h>

typedef enum {
    SIMILE_ISA_BASELINE = 0,
    SIMILE_ISA_AVX2 = 1,
    SIMILE_ISA_AVX512 = 2,
} simile_isa;

// One SGD or LARS update (OptimizerRule's formulas): d = scale·(g + weight_decay·p); with momentum > 0,
// buffer = momentum·buffer + d (d itself when `first`) and d = d + momentum·buffer (nesterov) or buffer;
// p −= learning_rate·d.
typedef struct {
    float learning_rate, weight_decay, scale, momentum;
    int nesterov, first;
} simile_momentum_rule;

// One AdamW update: p −= learning_rate·weight_decay·p; m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²;
// p −= (learning_rate / c1)·m / (√v / √c2 + eps), c1 and c2 being the bias corrections 1 − βᵗ.
typedef struct {
    float learning_rate, weight_decay, beta1, beta2, eps, c1, c2;
} simile_adamw_rule;

// One instruction set's kernels. A tile is `rows` × `cols` floats, row-major with leading dimension `ld`;
// −∞ entries (masked logits) contribute exp(−∞) = 0.
typedef struct {
    // row_sums[r] += Σ_c exp(s[r, c] − shift); col_sums[c] += Σ_r exp(s[r, c] − shift) unless col_sums is NULL.
    void (*tile_exp_sums)(const float *s, size_t rows, size_t cols, size_t ld, float shift,
                          float *row_sums, float *col_sums);
    // Online log-sum-exp over each row: raises row_shifts[r] to the row's maximum (rescaling row_sums[r] by
    // exp(old − new)), then row_sums[r] += Σ_c exp(s[r, c] − row_shifts[r]); the same over each column into
    // col_shifts[c] and col_sums[c] unless they are NULL.
    void (*tile_logsumexp)(const float *s, size_t rows, size_t cols, size_t ld, float *row_shifts, float *row_sums,
                           float *col_shifts, float *col_sums);
    // s[r, c] = exp(s[r, c] − shift) · (row_scale[r] + col_scale[c]).
    void (*tile_exp_scale)(float *s, size_t rows, size_t cols, size_t ld, float shift,
                           const float *row_scale, const float *col_scale);
    // s[r, c] = exp(s[r, c] − row_lse[r]) + exp(s[r, c] − col_lse[c]).
    void (*tile_two_softmaxes)(float *s, size_t rows, size_t cols, size_t ld, const float *row_lse,
                               const float *col_lse);
    // Winograd F(4×4, 3×3) (kernels.h has the matrices) on the tile rows first_row ..< first_row + rows of one
    // channel, counted over the batch (`tiles_y` rows of `tiles_x` tiles per image). `plane` is the channel's
    // height × width plane in image 0 and `image_stride` the floats between images; tile t of these rows is column t
    // of the transformed layout, its entry ξ = 6i + j at [ξ·stride + t]. A tile row that fills a vector is
    // transformed row by row, one lane per tile (`scratch`: simile_winograd4_scratch(tiles_x) floats); a narrower
    // one (8×8 and 4×4 images) takes its lanes across tile rows and images.
    // Input: Bᵀ d B of each tile's 6×6 window at (4·ty − padding, 4·tx − padding), zero outside the plane, to out.
    void (*winograd4_input)(const float *plane, size_t image_stride, size_t height, size_t width, ptrdiff_t padding,
                            size_t tiles_y, size_t tiles_x, size_t first_row, size_t rows, float *out, size_t stride,
                            float *scratch);
    // Output: Aᵀ m A + bias of each tile, from m, into its 4×4 block at (4·ty, 4·tx) of `plane` (the output), clipped
    // to height × width.
    void (*winograd4_output)(const float *m, size_t stride, float bias, float *plane, size_t image_stride,
                             size_t height, size_t width, size_t tiles_y, size_t tiles_x, size_t first_row,
                             size_t rows);
    // The adjoint of the output transform, for the weight gradient: A dy Aᵀ of each tile's 4×4 block of `plane` (dy),
    // zero past its edge, to out.
    void (*winograd4_output_gradient)(const float *plane, size_t image_stride, size_t height, size_t width,
                                      size_t tiles_y, size_t tiles_x, size_t first_row, size_t rows, float *out,
                                      size_t stride, float *scratch);
    // im2col's strided runs: dst[i] = src[i·stride], and col2im's: dst[i·stride] += src[i], for i < count.
    void (*strided_copy)(float *dst, const float *src, size_t count, size_t stride);
    void (*strided_add)(float *dst, const float *src, size_t count, size_t stride);
    // The optimiser updates of `count` elements, p and the state in place (`buffer` is read and written only with
    // momentum > 0).
    void (*momentum_step)(simile_momentum_rule rule, float *p, const float *g, float *buffer, size_t count);
    void (*adamw_step)(simile_adamw_rule rule, float *p, const float *g, float *m, float *v, size_t count);
} simile_cpu_kernels;

// Floats of scratch the Winograd input and output-gradient transforms need for `tiles` tiles: four phases of up to
// six rows, padded for any vector width.
static inline size_t simile_winograd4_scratch(size_t tiles) { return 24 * (tiles + 17); }

// Whether this CPU (and its operating system) runs `isa`'s kernels.
int simile_isa_supported(simile_isa isa);

// The kernels compiled for `isa`.
const simile_cpu_kernels *simile_cpu_kernels_for(simile_isa isa);

// The cores in this process's affinity mask (0 where it cannot be read).
int simile_usable_cores(void);

#endif
