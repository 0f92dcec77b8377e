/*
 * contrastive_finish: the loss and the backward's coefficients from the fused forward's row sums
 * (Kernels/contrastive_loss_blocked_cpu.cl, contrastive_loss_tiled_gpu.cl).
 *
 * What it computes
 *   From Z_i = sum over row i's denominator of exp(s_ik - c_i), the row shifts c_i and align_i =
 *   u_i . u_p(i) for the M = 2N anchors:
 *     w_n = 2 - N softmax_n(align_n / sigma) when dclw != 0 (DCLW), else 1;
 *     lse_i = c_i + log Z_i;  loss = mean_i (lse_i - w_i align_i / tau);
 *     r_i = 1 / Z_i when fixed != 0 (every c_i = 1/tau), else lse_i: the backward's coefficients.
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

/* Kahan-compensated running sum. */
typedef struct { float sum, compensation; } compensated;

static void add(compensated* s, float x) {
    const float y = x - s->compensation;
    const float t = s->sum + y;
    s->compensation = (t - s->sum) - y;
    s->sum = t;
}

__kernel void contrastive_finish(__global const float* Z, __global const float* c, __global const float* align,
                                 const int M, const int dclw, const int fixed, const float invTau,
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
    for (int n = 0; n < N; ++n) w[n] = dclw ? 2.0f - (float)N * exp(w[n] - peak) / partition.sum : 1.0f;
    compensated total = {0.0f, 0.0f};
    for (int i = 0; i < M; ++i) {
        const float lse = c[i] + log(Z[i]);
        add(&total, (lse - w[i % N] * align[i] * invTau) / (float)M);
        r[i] = fixed ? 1.0f / Z[i] : lse;
    }
    loss[0] = total.sum;
}
