/*
 * contrastive_finish: the loss and the backward's coefficients from the fused forward's row sums
 * (Kernels/contrastive_loss_blocked_cpu.cl, contrastive_loss_tiled_gpu.cl).
 *
 * What it computes
 *   From Z_i = sum over row i's negatives (k not i, not p(i)) of exp(s_ik - c_i), the row shifts c_i and
 *   align_i = u_i . u_p(i) for the M = 2N anchors, with s+_i = align_i / tau:
 *     w_n = 2 - N softmax_n(align_n / sigma) when dclw != 0 (DCLW), else 1;
 *     NT-Xent (ntxent != 0): D_i = Z_i + exp(s+_i - c_i), the positive's term added to the negatives kept apart,
 *       and l_i = positive_loss(Z_i, c_i - s+_i) = log1p(Z_i / e_i) (positive_loss.cl: exact when l_i is far
 *       below float32's spacing near the logits, and never negative);
 *     DCL, DCLW: D_i = Z_i and l_i = log Z_i + (c_i - w_i s+_i);
 *     loss = mean_i l_i;
 *     r_i = 1 / D_i when fixed != 0 (every c_i = 1/tau), else lse_i = c_i + log D_i: the backward's
 *       coefficients of the negatives;
 *     b_n, written over w_n: image n's coefficient on the positives of its rows n and n + N in the backward,
 *       2 w_n for DCL and DCLW, and for NT-Xent the sum of its two rows' 1 - P+ = Z_i / D_i (not 1 - P+,
 *       which would keep none of a tiny one).
 *   The DCLW scores align_n / sigma are stored in w before the softmax, so its maximum and its exps see
 *   the same rounded values (a fused multiply-add in one place and not the other turned exp(0) into
 *   exp(+600) at sigma = 1e-10). The loss sums term / M, so it stays finite wherever each term is.
 *   Sums are Kahan-compensated.
 *
 * Memory layout
 *   Z, c, align, r: M floats (r may be longer; the rest is untouched). w: N floats. loss: 1 float.
 *
 * Work decomposition
 *   One work-item (O(M) work, small next to the O(M^2 D) forward and backward). No -D parameters.
 */

#include "positive_loss.cl"

/* Kahan-compensated running sum. */
typedef struct { float sum, compensation; } compensated;

static void add(compensated* s, float x) {
    const float y = x - s->compensation;
    const float t = s->sum + y;
    s->compensation = (t - s->sum) - y;
    s->sum = t;
}

__kernel void contrastive_finish(__global const float* Z, __global const float* c, __global const float* align,
                                 const int M, const int ntxent, const int dclw, const int fixed, const float invTau,
                                 const float invSigma, __global float* r, __global float* w, __global float* loss) {
    const int N = M / 2;
    float peak = -INFINITY;
    compensated partition = {0.0f, 0.0f};
    if (dclw) {
        for (int n = 0; n < N; ++n) {
            w[n] = align[n] * invSigma;
            peak = fmax(peak, w[n]);
        }
        for (int n = 0; n < N; ++n) add(&partition, exp(w[n] - peak));
    }
    compensated total = {0.0f, 0.0f};
    for (int n = 0; n < N; ++n) {
        const float weight = dclw ? 2.0f - (float)N * exp(w[n] - peak) / partition.sum : 1.0f;
        float partner = 0.0f;
        for (int i = n; i < M; i += N) {
            const float positive = align[i] * invTau;
            float denominator = Z[i];
            if (ntxent) {
                const float gap = c[i] - positive;
                denominator += exp(-gap);
                add(&total, positive_loss(Z[i], gap) / (float)M);
                partner += Z[i] / denominator;
            } else {
                add(&total, (log(Z[i]) + (c[i] - weight * positive)) / (float)M);
                partner += weight;
            }
            r[i] = fixed ? 1.0f / denominator : c[i] + log(denominator);
        }
        w[n] = partner;
    }
    loss[0] = total.sum;
}
