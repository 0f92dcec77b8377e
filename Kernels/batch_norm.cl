// Batch normalisation over the channels of x viewed as [N, C, S], row-major: S = H*W for NCHW input
// (each (n, c) plane of S values is contiguous), S = 1 for [N, C]. Channel c's M = N*S values are
// normalised together:
//   train:    mu, var = mean and biased variance of the channel; y = gamma * (x - mu) / sqrt(var + eps) + beta;
//             saves mu and inv_std = 1 / sqrt(var + eps); running = (1 - momentum) * running + momentum * batch
//             (unbiased variance var * M / (M - 1) for the running variance)
//   eval:     the same y with the running statistics
//   backward: g = dy (0 where the fused ReLU's output is <= 0), x_hat = (x - mu) * inv_std,
//             dbeta = sum g, dgamma = sum g * x_hat, dx = gamma * inv_std * (g - dbeta / M - x_hat * dgamma / M)
//   has_residual != 0 adds residual (x's layout) to the output, and then relu != 0 applies max(0, .): a residual
//   block's epilogue max(0, bn(x) + shortcut) in the same pass (the backward pass applies the matching mask).
//
// Numerics: the statistics are sums of (x - pivot) and (x - pivot)^2 with pivot = the channel's first value,
// so an offset common to the channel (values 1000 + noise) cancels before any squaring; partial sums are
// carried with a compensation term (Kahan) across planes (CPU variant) or across elements (GPU variant).
//
// Work decomposition: one work-group per channel (global C * WG, local WG); each kernel makes one reduction
// pass over the channel and one elementwise pass, so on CPU devices the second pass finds the channel in cache.
//   WG == 1 (CPU devices): the single work-item walks the channel's N planes, VW floats at a time (vloadVW,
//            scalar tail for S % VW); no local memory traffic, no barriers taken.
//   WG > 1 (GPUs; a power of two): work-item t takes flat channel elements i = t, t + WG, ... (n = i / S,
//            s = i % S: consecutive items read consecutive addresses) and the group folds its partial sums
//            in local memory as a binary tree.
// Split (GPUs with fewer channels than the device has room for groups, and a long channel): `groups` work-groups
// per channel (global C * groups * WG), group g covering the flat elements [g * share, (g + 1) * share) of the
// channel, share = ceil(N*S / groups) (clipped to N*S). Two kernels per direction: batch_norm_partial_moments /
// batch_norm_partial_gradients write each group's two sums to partials[(c * groups + g) * 2 + {0, 1}]; then
// batch_norm_train_split / batch_norm_backward_split have every group add its channel's partials in group order
// (so every group gets the same totals, bit for bit, on every run) and apply them to its own share; group 0
// writes the channel's statistics or parameter gradients.
// Required -D parameters: WG (work-group size) and VW (4, 8 or 16: the CPU variant's vector width).

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define floatv CAT(float, VW)
#define vloadv CAT(vload, VW)
#define vstorev CAT(vstore, VW)

// A float sum with a compensation term (Kahan): adding many small terms keeps their low bits.
typedef struct { float sum; float carry; } compensated;

compensated compensated_add(compensated a, float value) {
    const float term = value - a.carry;
    const float total = a.sum + term;
    a.carry = (total - a.sum) - term;
    a.sum = total;
    return a;
}

float lane_sum(floatv v) {
#if VW == 16
    const float8 halves = v.lo + v.hi;
    const float4 quarter = halves.lo + halves.hi;
#elif VW == 8
    const float4 quarter = v.lo + v.hi;
#else
    const float4 quarter = v;
#endif
    const float2 pair = quarter.lo + quarter.hi;
    return pair.x + pair.y;
}

#include "group_sum.cl"

// The offset of element i (0 <= i < N*S) of channel c.
long channel_offset(int i, int c, int channels, int s) {
    const int sample = i / s;
    return ((long)sample * channels + c) * s + (i - sample * s);
}

// This work-item's share of sum (x - pivot) and sum (x - pivot)^2 over channel c's elements [begin, end) (the
// CPU variant, WG == 1, is never split: it always takes the whole channel).
float2 shifted_moments(__global const float* x, int n, int channels, int s, int c, float pivot, int begin, int end) {
    compensated first = {0.0f, 0.0f}, second = {0.0f, 0.0f};
#if WG == 1
    for (int sample = 0; sample < n; sample++) {
        __global const float* plane = x + ((long)sample * channels + c) * s;
        floatv lanes = 0.0f, squares = 0.0f;
        int k = 0;
        for (; k + VW <= s; k += VW) {
            const floatv d = vloadv(0, plane + k) - pivot;
            lanes += d;
            squares = fma(d, d, squares);
        }
        float tail = 0.0f, tail_squares = 0.0f;
        for (; k < s; k++) {
            const float d = plane[k] - pivot;
            tail += d;
            tail_squares = fma(d, d, tail_squares);
        }
        first = compensated_add(first, lane_sum(lanes) + tail);
        second = compensated_add(second, lane_sum(squares) + tail_squares);
    }
#else
    for (int i = begin + get_local_id(0); i < end; i += WG) {
        const float d = x[channel_offset(i, c, channels, s)] - pivot;
        first = compensated_add(first, d);
        second = compensated_add(second, d * d);
    }
#endif
    return (float2)(first.sum, second.sum);
}

// This work-item's share of sum g and sum g * (x - mean) over channel c's elements [begin, end) (g = dy, masked by
// the ReLU output; WG == 1: the whole channel).
float2 gradient_sums(__global const float* dy, __global const float* x, __global const float* y, int relu,
                     int n, int channels, int s, int c, float mean, int begin, int end) {
    compensated first = {0.0f, 0.0f}, second = {0.0f, 0.0f};
#if WG == 1
    for (int sample = 0; sample < n; sample++) {
        const long base = ((long)sample * channels + c) * s;
        floatv lanes = 0.0f, products = 0.0f;
        int k = 0;
        for (; k + VW <= s; k += VW) {
            floatv g = vloadv(0, dy + base + k);
            if (relu) g = select(g, (floatv)0.0f, vloadv(0, y + base + k) <= 0.0f);
            lanes += g;
            products = fma(g, vloadv(0, x + base + k) - mean, products);
        }
        float tail = 0.0f, tail_products = 0.0f;
        for (; k < s; k++) {
            const float g = relu && y[base + k] <= 0.0f ? 0.0f : dy[base + k];
            tail += g;
            tail_products = fma(g, x[base + k] - mean, tail_products);
        }
        first = compensated_add(first, lane_sum(lanes) + tail);
        second = compensated_add(second, lane_sum(products) + tail_products);
    }
#else
    for (int i = begin + get_local_id(0); i < end; i += WG) {
        const long index = channel_offset(i, c, channels, s);
        const float g = relu && y[index] <= 0.0f ? 0.0f : dy[index];
        first = compensated_add(first, g);
        second = compensated_add(second, g * (x[index] - mean));
    }
#endif
    return (float2)(first.sum, second.sum);
}

// out = (x - centre) * scale + shift over channel c's elements [begin, end) (plus the residual when has_residual,
// then max(0, .) when relu), this work-item's share (WG == 1: the whole channel). Subtracting a centre near the
// values first (the pivot in training, the running mean in eval) keeps a large common offset from cancelling.
void normalize(__global const float* x, __global const float* residual, int has_residual, int relu,
               __global float* out, int n, int channels, int s, int c, float centre, float scale, float shift,
               int begin, int end) {
#if WG == 1
    for (int sample = 0; sample < n; sample++) {
        const long base = ((long)sample * channels + c) * s;
        int k = 0;
        for (; k + VW <= s; k += VW) {
            floatv value = fma(vloadv(0, x + base + k) - centre, (floatv)scale, (floatv)shift);
            if (has_residual) value += vloadv(0, residual + base + k);
            if (relu) value = fmax(value, 0.0f);
            vstorev(value, 0, out + base + k);
        }
        for (; k < s; k++) {
            float value = fma(x[base + k] - centre, scale, shift);
            if (has_residual) value += residual[base + k];
            out[base + k] = relu ? fmax(value, 0.0f) : value;
        }
    }
#else
    for (int i = begin + get_local_id(0); i < end; i += WG) {
        const long index = channel_offset(i, c, channels, s);
        float value = fma(x[index] - centre, scale, shift);
        if (has_residual) value += residual[index];
        out[index] = relu ? fmax(value, 0.0f) : value;
    }
#endif
}

// Channel c's statistics from its sums of (x - pivot) and (x - pivot)^2 over `count` values: y = (x - pivot) *
// scale + shift over [begin, end); the first work-item writes the mean, inv_std and running statistics when `writer`.
void train_from_sums(float2 sums, float count, float pivot, __global const float* x, __global const float* gamma,
                     __global const float* beta, __global float* running_mean, __global float* running_variance,
                     int n, int channels, int s, int c, float momentum, float eps, __global const float* residual,
                     int has_residual, int relu, __global float* y, __global float* mean_out,
                     __global float* inv_std_out, int writer, int begin, int end) {
    const float offset = sums.x / count;
    const float variance = fmax(sums.y / count - offset * offset, 0.0f);
    const float mean = pivot + offset;
    const float inv_std = 1.0f / sqrt(variance + eps);
    const float scale = gamma[c] * inv_std;
    if (writer && get_local_id(0) == 0) {
        mean_out[c] = mean;
        inv_std_out[c] = inv_std;
        running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * mean;
        running_variance[c] = (1.0f - momentum) * running_variance[c] + momentum * variance * count / (count - 1.0f);
    }
    normalize(x, residual, has_residual, relu, y, n, channels, s, c, pivot, scale, beta[c] - offset * scale,
              begin, end);
}

__kernel void batch_norm_train(__global const float* x, __global const float* gamma, __global const float* beta,
                               __global float* running_mean, __global float* running_variance,
                               const int n, const int channels, const int s, const float momentum, const float eps,
                               __global const float* residual, const int has_residual, const int relu,
                               __global float* y, __global float* mean_out,
                               __global float* inv_std_out) {
    __local float2 partial[WG];
    const int c = get_group_id(0);
    const float pivot = x[(long)c * s];
    const float2 sums = group_sum2(partial, shifted_moments(x, n, channels, s, c, pivot, 0, n * s), WG);
    train_from_sums(sums, (float)n * s, pivot, x, gamma, beta, running_mean, running_variance, n, channels, s, c,
                    momentum, eps, residual, has_residual, relu, y, mean_out, inv_std_out, 1, 0, n * s);
}

// The flat elements [*begin, *end) of its channel that work-group g of `groups` covers.
void split_share(int g, int groups, int count, int* begin, int* end) {
    const int share = (count + groups - 1) / groups;
    *begin = min(count, g * share);
    *end = min(count, *begin + share);
}

// Channel c's two sums from its groups' partials, added in group order with compensation.
float2 channel_sums(__global const float* partials, int c, int groups) {
    compensated first = {0.0f, 0.0f}, second = {0.0f, 0.0f};
    for (int g = 0; g < groups; g++) {
        first = compensated_add(first, partials[(c * groups + g) * 2]);
        second = compensated_add(second, partials[(c * groups + g) * 2 + 1]);
    }
    return (float2)(first.sum, second.sum);
}

__kernel void batch_norm_partial_moments(__global const float* x, const int n, const int channels, const int s,
                                         const int groups, __global float* partials) {
    __local float2 partial[WG];
    const int c = get_group_id(0) / groups, g = get_group_id(0) % groups;
    int begin, end;
    split_share(g, groups, n * s, &begin, &end);
    const float2 sums = group_sum2(partial, shifted_moments(x, n, channels, s, c, x[(long)c * s], begin, end), WG);
    if (get_local_id(0) == 0) {
        partials[(c * groups + g) * 2] = sums.x;
        partials[(c * groups + g) * 2 + 1] = sums.y;
    }
}

__kernel void batch_norm_train_split(__global const float* x, __global const float* gamma,
                                     __global const float* beta, __global float* running_mean,
                                     __global float* running_variance, const int n, const int channels, const int s,
                                     const float momentum, const float eps, __global const float* residual,
                                     const int has_residual, const int relu, __global float* y,
                                     __global float* mean_out, __global float* inv_std_out, const int groups,
                                     __global const float* partials) {
    const int c = get_group_id(0) / groups, g = get_group_id(0) % groups;
    int begin, end;
    split_share(g, groups, n * s, &begin, &end);
    train_from_sums(channel_sums(partials, c, groups), (float)n * s, x[(long)c * s], x, gamma, beta, running_mean,
                    running_variance, n, channels, s, c, momentum, eps, residual, has_residual, relu, y, mean_out,
                    inv_std_out, g == 0, begin, end);
}

__kernel void batch_norm_eval(__global const float* x, __global const float* gamma, __global const float* beta,
                              __global const float* running_mean, __global const float* running_variance,
                              const int n, const int channels, const int s, const float eps,
                              __global const float* residual, const int has_residual, const int relu,
                              __global float* y) {
    const int c = get_group_id(0);
    normalize(x, residual, has_residual, relu, y, n, channels, s, c, running_mean[c],
              gamma[c] / sqrt(running_variance[c] + eps), beta[c], 0, n * s);
}

// dx over channel c's elements [begin, end) from its sums of g and g * (x - mean), over `count` values; the first
// work-item writes dgamma and dbeta when `writer`.
void backward_from_sums(float2 sums, float count, __global const float* dy, __global const float* x,
                        __global const float* y, int relu, __global const float* mean, __global const float* inv_std,
                        __global const float* gamma, int n, int channels, int s, int c, __global float* dx,
                        __global float* dgamma, __global float* dbeta, int writer, int begin, int end) {
    const float r = inv_std[c];
    const float gradient_beta = sums.x, gradient_gamma = sums.y * r;
    if (writer && get_local_id(0) == 0) {
        dbeta[c] = gradient_beta;
        dgamma[c] = gradient_gamma;
    }
    // dx = a * g + b * (x - mean) + d
    const float a = gamma[c] * r;
    const float b = -a * r * gradient_gamma / count;
    const float d = -a * gradient_beta / count;
    const float mu = mean[c];
#if WG == 1
    for (int sample = 0; sample < n; sample++) {
        const long base = ((long)sample * channels + c) * s;
        int k = 0;
        for (; k + VW <= s; k += VW) {
            floatv g = vloadv(0, dy + base + k);
            if (relu) g = select(g, (floatv)0.0f, vloadv(0, y + base + k) <= 0.0f);
            vstorev(fma(g, (floatv)a, fma(vloadv(0, x + base + k) - mu, (floatv)b, (floatv)d)), 0, dx + base + k);
        }
        for (; k < s; k++) {
            const float g = relu && y[base + k] <= 0.0f ? 0.0f : dy[base + k];
            dx[base + k] = fma(g, a, fma(x[base + k] - mu, b, d));
        }
    }
#else
    for (int i = begin + get_local_id(0); i < end; i += WG) {
        const long index = channel_offset(i, c, channels, s);
        const float g = relu && y[index] <= 0.0f ? 0.0f : dy[index];
        dx[index] = fma(g, a, fma(x[index] - mu, b, d));
    }
#endif
}

__kernel void batch_norm_backward(__global const float* dy, __global const float* x, __global const float* y,
                                  const int relu, __global const float* mean, __global const float* inv_std,
                                  __global const float* gamma, const int n, const int channels, const int s,
                                  __global float* dx, __global float* dgamma, __global float* dbeta) {
    __local float2 partial[WG];
    const int c = get_group_id(0);
    const float2 sums = group_sum2(partial, gradient_sums(dy, x, y, relu, n, channels, s, c, mean[c], 0, n * s), WG);
    backward_from_sums(sums, (float)n * s, dy, x, y, relu, mean, inv_std, gamma, n, channels, s, c, dx, dgamma, dbeta,
                       1, 0, n * s);
}

__kernel void batch_norm_partial_gradients(__global const float* dy, __global const float* x,
                                           __global const float* y, const int relu, __global const float* mean,
                                           const int n, const int channels, const int s, const int groups,
                                           __global float* partials) {
    __local float2 partial[WG];
    const int c = get_group_id(0) / groups, g = get_group_id(0) % groups;
    int begin, end;
    split_share(g, groups, n * s, &begin, &end);
    const float2 sums = group_sum2(partial, gradient_sums(dy, x, y, relu, n, channels, s, c, mean[c], begin, end),
                                   WG);
    if (get_local_id(0) == 0) {
        partials[(c * groups + g) * 2] = sums.x;
        partials[(c * groups + g) * 2 + 1] = sums.y;
    }
}

__kernel void batch_norm_backward_split(__global const float* dy, __global const float* x, __global const float* y,
                                        const int relu, __global const float* mean, __global const float* inv_std,
                                        __global const float* gamma, const int n, const int channels, const int s,
                                        __global float* dx, __global float* dgamma, __global float* dbeta,
                                        const int groups, __global const float* partials) {
    const int c = get_group_id(0) / groups, g = get_group_id(0) % groups;
    int begin, end;
    split_share(g, groups, n * s, &begin, &end);
    backward_from_sums(channel_sums(partials, c, groups), (float)n * s, dy, x, y, relu, mean, inv_std, gamma, n,
                       channels, s, c, dx, dgamma, dbeta, g == 0, begin, end);
}
