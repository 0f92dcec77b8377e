// Layer normalisation of each row of x viewed as [N, D] (x [N, C, H, W] with D = C*H*W: PyTorch's
// nn.LayerNorm([C, H, W])), with a per-element affine gamma, beta [D]:
//   forward:  mu_n = mean of row n, var_n = its biased variance, inv_std_n = 1 / sqrt(var_n + eps),
//             y = (x - mu_n) * inv_std_n * gamma + beta; saves mu and inv_std [N]
//   backward: g = dy * gamma, x_hat = (x - mu_n) * inv_std_n,
//             dx = inv_std_n * (g - mean_d(g) - x_hat * mean_d(g * x_hat))
//             dgamma = sum_n dy * x_hat, dbeta = sum_n dy
//
// Numerics: the mean is the row's first value plus the mean of the differences from it, and the variance the mean
// of squared deviations from the finished mean (two passes), so an offset common to the row (values 400 + noise)
// cancels before it can swamp the sums.
//
// Work decomposition: the row kernels (forward, backward_input) take one work-group of WG items per row (global
// N * WG, local WG; WG is the -D parameter, a power of two: 256 on GPUs, 1 on CPU devices). Item t takes the
// row's elements t, t + WG, ... (consecutive items read consecutive addresses) and the group folds its partial
// sums with group_sum; a row's later passes find it in cache. backward_affine sums over rows instead: one
// work-item per element d (global D), walking the N rows, so that consecutive items read consecutive addresses
// and no two items write the same gradient.

#include "group_sum.cl"

__kernel void layer_norm_forward(__global const float* x, __global const float* gamma, __global const float* beta,
                                 const int d, const float eps, __global float* y, __global float* mean,
                                 __global float* inv_std) {
    __local float partial[WG];
    const int t = get_local_id(0);
    const long row = get_group_id(0);
    __global const float* xr = x + row * d;
    const float pivot = xr[0];
    float sum = 0.0f;
    for (int i = t; i < d; i += WG) sum += xr[i] - pivot;
    const float mu = pivot + group_sum(partial, sum, WG) / d;
    float squares = 0.0f;
    for (int i = t; i < d; i += WG) {
        const float deviation = xr[i] - mu;
        squares = fma(deviation, deviation, squares);
    }
    const float scale = 1.0f / sqrt(group_sum(partial, squares, WG) / d + eps);
    for (int i = t; i < d; i += WG) y[row * d + i] = fma((xr[i] - mu) * scale, gamma[i], beta[i]);
    if (t == 0) {
        mean[row] = mu;
        inv_std[row] = scale;
    }
}

__kernel void layer_norm_backward_input(__global const float* dy, __global const float* x,
                                        __global const float* mean, __global const float* inv_std,
                                        __global const float* gamma, const int d, __global float* dx) {
    __local float partial[WG];
    const int t = get_local_id(0);
    const long row = get_group_id(0);
    __global const float* xr = x + row * d;
    __global const float* dyr = dy + row * d;
    const float mu = mean[row], scale = inv_std[row];
    float g_sum = 0.0f, gx_sum = 0.0f;
    for (int i = t; i < d; i += WG) {
        const float g = dyr[i] * gamma[i];
        g_sum += g;
        gx_sum = fma(g, (xr[i] - mu) * scale, gx_sum);
    }
    const float g_mean = group_sum(partial, g_sum, WG) / d;
    const float gx_mean = group_sum(partial, gx_sum, WG) / d;
    for (int i = t; i < d; i += WG) {
        const float x_hat = (xr[i] - mu) * scale;
        dx[row * d + i] = scale * (dyr[i] * gamma[i] - g_mean - x_hat * gx_mean);
    }
}

__kernel void layer_norm_backward_affine(__global const float* dy, __global const float* x,
                                         __global const float* mean, __global const float* inv_std, const int n,
                                         const int d, __global float* dgamma, __global float* dbeta) {
    const int i = get_global_id(0);
    if (i >= d) return;
    float g_sum = 0.0f, b_sum = 0.0f;
    for (long row = 0; row < n; row++) {
        const float upstream = dy[row * d + i];
        g_sum = fma(upstream, (x[row * d + i] - mean[row]) * inv_std[row], g_sum);
        b_sum += upstream;
    }
    dgamma[i] = g_sum;
    dbeta[i] = b_sum;
}
