// Row-wise L2 normalisation of a row-major matrix x [rows, cols], as PyTorch's F.normalize(dim=1):
//   forward:  norm_r = max(||x_r||, eps),  y_r = x_r / norm_r
//   backward: dx_r = (dy_r - y_r * (y_r . dy_r)) / norm_r   when ||x_r|| > eps
//             dx_r = dy_r / eps                              when the norm was clamped to eps
//
// Work decomposition: one work-group of WG work-items per row (WG is the -D parameter, a power of two:
// 256 on GPUs, 1 on CPU devices); work-item t handles columns t, t + WG, ... and the group reduces its
// partial sums in local memory as a binary tree. Global size rows * WG, local size WG.

#include "group_sum.cl"

__kernel void l2_normalize_rows(__global const float* x, const int cols, const float eps,
                                __global float* y, __global float* norms) {
    __local float partial[WG];
    const int t = get_local_id(0);
    const long row = get_group_id(0);
    __global const float* xr = x + row * cols;
    float squares = 0.0f;
    for (int c = t; c < cols; c += WG) squares = fma(xr[c], xr[c], squares);
    const float norm = fmax(sqrt(group_sum(partial, squares, WG)), eps);
    for (int c = t; c < cols; c += WG) y[row * cols + c] = xr[c] / norm;
    if (t == 0) norms[row] = norm;
}

__kernel void l2_normalize_rows_backward(__global const float* y, __global const float* norms,
                                         __global const float* dy, const int cols, const float eps,
                                         __global float* dx) {
    __local float partial[WG];
    const int t = get_local_id(0);
    const long row = get_group_id(0);
    __global const float* yr = y + row * cols;
    __global const float* dyr = dy + row * cols;
    float dot = 0.0f;
    for (int c = t; c < cols; c += WG) dot = fma(yr[c], dyr[c], dot);
    dot = group_sum(partial, dot, WG);
    const float norm = norms[row];
    const float projection = norm > eps ? dot : 0.0f;
    for (int c = t; c < cols; c += WG) dx[row * cols + c] = (dyr[c] - yr[c] * projection) / norm;
}
