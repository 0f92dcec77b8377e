// Sum reductions of float32 arrays, scaled on the way out (scale = 1/n turns a sum into a mean).
//
// sum_partials — reduces the whole flat array x[0..n) in two launches:
//   Layout: flat, contiguous. Work decomposition: G work-groups of WG work-items (WG is the -D
//   parameter, a power of two). Work-item t of group g accumulates x[g*WG + t], x[g*WG + t + G*WG], ...
//   (a grid-stride loop, coalesced on GPUs), the group folds its WG partial sums in local memory as a
//   binary tree, and writes scale * total to out[g]. The launcher runs it once with G groups into a
//   G-element scratch, then once more with G = 1 over that scratch.
//
// sum_axis — reduces the middle axis of x viewed as [outer, n, inner] (row-major):
//   out[o, i] = scale * sum_j x[o, j, i].
//   Work decomposition: a 2-D range. Dimension 0 is the output element k = o * inner + i (local size
//   1); dimension 1 splits the reduced axis over S work-items (local size S, a power of two chosen
//   by the launcher from n, passed with a local buffer of S floats). Work-item (k, t) sums
//   j = t, t + S, ..., then the group folds its S partial sums as a binary tree. Short axes get
//   S = 1 (one work-item per output); long ones are summed in parallel and pairwise.

__kernel void sum_partials(__global const float* x, const int n, const float scale, __global float* out) {
    __local float partial[WG];
    const int t = get_local_id(0);
    const int stride = get_num_groups(0) * WG;
    float sum = 0.0f;
    for (int i = get_group_id(0) * WG + t; i < n; i += stride) sum += x[i];
    partial[t] = sum;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int width = WG / 2; width > 0; width /= 2) {
        if (t < width) partial[t] += partial[t + width];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (t == 0) out[get_group_id(0)] = scale * partial[0];
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
    partial[t] = sum;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int width = S / 2; width > 0; width /= 2) {
        if (t < width) partial[t] += partial[t + width];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (t == 0 && k < outer * inner) out[k] = scale * partial[0];
}
