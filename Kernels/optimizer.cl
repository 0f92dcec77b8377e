// Fused optimiser updates of one float32 parameter p in place, with its gradient g and its state.
//
// Layout: every array is the parameter's flat, contiguous element range [0, n); `norms` holds two
// floats. Work decomposition: the update kernels run one work-item per element (the launcher rounds
// the global size up to a multiple of the work-group size, so each guards with `i < n`); hyper-
// parameters arrive as scalars the host computed, so a step reads nothing back.
//
// sgd_step   — torch.optim.SGD: d = g + wd·p; buf = μ·buf + d (buf = d when `first`);
//              d = nesterov ? d + μ·buf : buf (when μ > 0); p -= lr·d. With μ = 0, buf is not touched.
// lars_step  — lightly's LARS: d = g + wd·p, scaled by the local lr
//              η·‖p‖ / (‖g‖ + wd·‖p‖ + eps) when `adapt` and both norms are > 0 (else 1), then momentum
//              and the step as sgd_step. ‖p‖² and ‖g‖² are read from norms[0], norms[1].
// adamw_step — torch.optim.AdamW: p -= lr·wd·p; m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²;
//              p -= (lr / c1) · m / (√v / √c2 + eps) with the bias corrections c1 = 1-β1^t, c2 = 1-β2^t.
//
// norm_partials / norm_finish — ‖p‖² and ‖g‖² for lars_step, in two launches like reduce.cl's
//   sum_partials: G groups of WG work-items (WG a -D parameter, a power of two); group k owns the
//   contiguous chunk [k·C, (k+1)·C), C = ceil(n / G), its items stride by WG, the group folds its
//   partial sums as a binary tree and writes partials[2k], partials[2k+1]. norm_finish then runs
//   one group that folds the G pairs into norms[0], norms[1].

__kernel void sgd_step(__global float* p, __global const float* g, __global float* buf, const float lr,
                       const float wd, const float momentum, const int nesterov, const int first, const int n) {
    const int i = get_global_id(0);
    if (i >= n) return;
    float d = fma(wd, p[i], g[i]);
    if (momentum > 0.0f) {
        const float b = first ? d : fma(momentum, buf[i], d);
        buf[i] = b;
        d = nesterov ? fma(momentum, b, d) : b;
    }
    p[i] = fma(-lr, d, p[i]);
}

__kernel void lars_step(__global float* p, __global const float* g, __global float* buf,
                        __global const float* norms, const float lr, const float wd, const float momentum,
                        const int nesterov, const int first, const int adapt, const float trust,
                        const float eps, const int n) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const float pNorm = sqrt(norms[0]), gNorm = sqrt(norms[1]);
    const float rate = adapt && pNorm > 0.0f && gNorm > 0.0f ? trust * pNorm / (gNorm + wd * pNorm + eps) : 1.0f;
    float d = rate * fma(wd, p[i], g[i]);
    if (momentum > 0.0f) {
        const float b = first ? d : fma(momentum, buf[i], d);
        buf[i] = b;
        d = nesterov ? fma(momentum, b, d) : b;
    }
    p[i] = fma(-lr, d, p[i]);
}

__kernel void adamw_step(__global float* p, __global const float* g, __global float* m, __global float* v,
                         const float lr, const float wd, const float beta1, const float beta2, const float eps,
                         const float c1, const float c2, const int n) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const float gi = g[i];
    const float mi = fma(beta1, m[i], (1.0f - beta1) * gi);
    const float vi = fma(beta2, v[i], (1.0f - beta2) * gi * gi);
    m[i] = mi;
    v[i] = vi;
    const float decayed = p[i] * (1.0f - lr * wd);
    p[i] = decayed - (lr / c1) * mi / (sqrt(vi) / sqrt(c2) + eps);
}

#include "group_sum.cl"

__kernel void norm_partials(__global const float* p, __global const float* g, const int n,
                            __global float* partials) {
    __local float2 partial[WG];
    const int t = get_local_id(0);
    const int chunk = (n + get_num_groups(0) - 1) / get_num_groups(0);
    const int begin = get_group_id(0) * chunk;
    const int end = min(n, begin + chunk);
    float ps = 0.0f, gs = 0.0f;
    for (int i = begin + t; i < end; i += WG) {
        ps = fma(p[i], p[i], ps);
        gs = fma(g[i], g[i], gs);
    }
    const float2 sums = group_sum2(partial, (float2)(ps, gs), WG);
    if (t == 0) vstore2(sums, get_group_id(0), partials);
}

__kernel void norm_finish(__global const float* partials, const int groups, __global float* norms) {
    __local float2 partial[WG];
    const int t = get_local_id(0);
    float ps = 0.0f, gs = 0.0f;
    for (int k = t; k < groups; k += WG) {
        ps += partials[2 * k];
        gs += partials[2 * k + 1];
    }
    const float2 sums = group_sum2(partial, (float2)(ps, gs), WG);
    if (t == 0) vstore2(sums, 0, norms);
}
