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

// One instruction set's kernels. A tile is `rows` × `cols` floats, row-major with leading dimension `ld`;
// −∞ entries (masked logits) contribute exp(−∞) = 0.
typedef struct {
    // row_sums[r] += Σ_c exp(s[r, c] − shift); col_sums[c] += Σ_r exp(s[r, c] − shift) unless col_sums is NULL.
    void (*tile_exp_sums)(const float *s, size_t rows, size_t cols, size_t ld, float shift,
                          float *row_sums, float *col_sums);
    // Online log-sum-exp over each row: raises shifts[r] to the row's maximum (rescaling sums[r] by
    // exp(old − new)), then sums[r] += Σ_c exp(s[r, c] − shifts[r]).
    void (*tile_row_logsumexp)(const float *s, size_t rows, size_t cols, size_t ld, float *shifts, float *sums);
    // The same over each column, into shifts[c] and sums[c].
    void (*tile_col_logsumexp)(const float *s, size_t rows, size_t cols, size_t ld, float *shifts, float *sums);
    // s[r, c] = exp(s[r, c] − shift) · (row_scale[r] + col_scale[c]).
    void (*tile_exp_scale)(float *s, size_t rows, size_t cols, size_t ld, float shift,
                           const float *row_scale, const float *col_scale);
    // s[r, c] = exp(s[r, c] − row_lse[r]) + exp(s[r, c] − col_lse[c]).
    void (*tile_two_softmaxes)(float *s, size_t rows, size_t cols, size_t ld, const float *row_lse,
                               const float *col_lse);
} simile_cpu_kernels;

// Whether this CPU (and its operating system) runs `isa`'s kernels.
int simile_isa_supported(simile_isa isa);

// The kernels compiled for `isa`.
const simile_cpu_kernels *simile_cpu_kernels_for(simile_isa isa);

#endif
