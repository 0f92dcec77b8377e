// Reductions of float32 arrays: sums scaled on the way out (scale = 1/n turns a sum into a mean), and the
// first element that is not finite (the device-side input check of the losses).
//
// sum_partials — reduces the whole flat array x[0..n) in two launches:
//   Layout: flat, contiguous. Work decomposition: G work-groups of WG work-items (WG is the -D
//   parameter, a power of two: 256 on GPUs, 1 on CPU devices, where barriers are costly). Group g owns
//   the contiguous chunk [g*C, (g+1)*C) with C = ceil(n / G); its work-item t accumulates chunk
//   elements t, t + WG, ... (coalesced on GPUs, one sequential stream per core on CPUs), the group
//   folds its WG partial sums in local memory as a binary tree, and writes scale * total to out[g].
//   The launcher runs it once with G groups into a G-element scratch, then once more with G = 1.
//
// sum_axis — reduces the middle axis of x viewed as [outer, n, inner] (row-major):
//   out[o, i] = scale * sum_j x[o, j, i].
//   Work decomposition: a 2-D range. Dimension 0 is the output element k = o * inner + i (local size
//   1); dimension 1 splits the reduced axis over S work-items (local size S, a power of two chosen
//   by the launcher from n, at most 256, passed with a local buffer of S floats). Work-item (k, t) sums
//   j = t, t + S, ..., then the group folds its S partial sums as a binary tree. Short axes get
//   S = 1 (one work-item per output); long ones are summed in parallel and pairwise.
//
// first_non_finite_row — the first row of x that holds a NaN or an infinity:
//   slots[at] = min(slots[at], r) over every such row r. Layout: x is rows x cols, row-major; slots is the int32
//   view of a small float buffer whose slot `at` the launcher set to INT_MAX (it stays so when x is finite).
//   Work decomposition: one work-item per element (global size rows * cols, coalesced); only a non-finite element
//   touches the slot, with atomic_min, so a finite input costs one load per element and no atomics.
//
// first_non_finite_column — completes the above: when slots[at] names a row r, slots[at + 1] = the first column c
//   of row r that is not finite and slots[at + 2] = x[r, c] (its float bits), so that one read of the slots tells
//   the host the element and its value. Work decomposition: one work-item, which scans at most one row.

#include "group_sum.cl"

__kernel void sum_partials(__global const float* x, const int n, const float scale, __global float* out) {
    __local float partial[WG];
    const int t = get_local_id(0);
    const int chunk = (n + get_num_groups(0) - 1) / get_num_groups(0);
    const int begin = get_group_id(0) * chunk;
    const int end = min(n, begin + chunk);
    float sum = 0.0f;
    for (int i = begin + t; i < end; i += WG) sum += x[i];
    sum = group_sum(partial, sum, WG);
    if (t == 0) out[get_group_id(0)] = scale * sum;
}

__kernel void sum_axis(__global const float* x, const int outer, const int n, const int inner,
                       const float scale, __global float* out, __local float* partial) {
    const int k = get_global_id(0);
    const int t = get_local_id(1);
    const int S = get_local_size(1);
    const int o = k / inner;
    const int i = k - o * inner;
    float sum = 0.0f;
    if (k < outer * inner) {
        __global const float* column = x + (long)o * n * inner + i;
        for (int j = t; j < n; j += S) sum += column[(long)j * inner];
    }
    sum = group_sum(partial, sum, S);
    if (t == 0 && k < outer * inner) out[k] = scale * sum;
}

__kernel void first_non_finite_row(__global const float* x, const int rows, const int cols, __global int* slots,
                                   const int at) {
    const size_t i = get_global_id(0);
    if (i < (size_t)rows * cols && !isfinite(x[i])) atomic_min(slots + at, (int)(i / cols));
}

__kernel void first_non_finite_column(__global const float* x, const int cols, __global int* slots, const int at) {
    const int r = slots[at];
    if (r == INT_MAX) return;
    __global const float* row = x + (size_t)r * cols;
    int c = 0;
    while (c + 1 < cols && isfinite(row[c])) ++c;
    slots[at + 1] = c;
    slots[at + 2] = as_int(row[c]);
}
