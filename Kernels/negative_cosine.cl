// The fused negative-cosine loss of SimSiam and BYOL: each row's loss term and its gradient with respect to the
// predictions, in one pass over each pair of rows (the targets are a stop-gradient and get none).
//
// What it computes: predictions p and targets z are row-major [N, d]; row i of p is paired with row
// j = (i + offset) mod N of z (offset 0, or N/2 for the symmetrised loss). With F.normalize's clamped norms
// a = max(||p_i||, eps), b = max(||z_j||, eps) and the cosine c = (p_i . z_j) / (a b):
//   terms[i] = intercept + slope * c             (-c for the negative cosine, 2 - 2c for BYOL)
//   dp_i     = (g / a) * (z_j / b - c' * p_i / a),  g = slope / N = dLoss/dc,
// where c' = c, or 0 when ||p_i|| <= eps (the clamped norm is a constant there, as in l2_normalize_rows_backward).
// The launcher averages `terms` into the loss.
//
// Work decomposition: one work-group of WG work-items per row i (WG is the -D parameter, a power of two: 256 on GPUs,
// 1 on CPU devices, where barriers are costly, as in l2_normalize.cl). Work-item t takes columns t, t + WG, ...
// (coalesced on GPUs, one sequential stream on CPUs), accumulates p.p, z.z and p.z, the group reduces them as a
// binary tree, and the same work-items then write the gradient of their columns, re-reading the two rows they have
// just read (from cache). Global size N * WG, local size WG.

#include "group_sum.cl"

__kernel void negative_cosine(__global const float* p, __global const float* z, const int rows, const int cols,
                              const int offset, const float eps, const float intercept, const float slope,
                              __global float* terms, __global float* dp) {
    __local float2 partial2[WG];
    __local float partial[WG];
    const int t = get_local_id(0);
    const int i = get_group_id(0);
    const int j = i + offset < rows ? i + offset : i + offset - rows;
    __global const float* pr = p + (long)i * cols;
    __global const float* zr = z + (long)j * cols;
    float2 squares = (float2)(0.0f, 0.0f);
    float dot = 0.0f;
    for (int c = t; c < cols; c += WG) {
        squares = fma((float2)(pr[c], zr[c]), (float2)(pr[c], zr[c]), squares);
        dot = fma(pr[c], zr[c], dot);
    }
    squares = group_sum2(partial2, squares, WG);
    dot = group_sum(partial, dot, WG);
    const float a = fmax(sqrt(squares.x), eps), b = fmax(sqrt(squares.y), eps);
    // Divided one norm at a time: a * b may overflow or underflow where the cosine does not.
    const float cosine = dot / a / b;
    if (t == 0) terms[i] = intercept + slope * cosine;
    const float scale = slope / rows / a, inverseB = 1.0f / b;
    const float projection = a > eps ? cosine / a : 0.0f;
    for (int c = t; c < cols; c += WG) dp[(long)i * cols + c] = scale * (zr[c] * inverseB - projection * pr[c]);
}
