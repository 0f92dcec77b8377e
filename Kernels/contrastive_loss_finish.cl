/*
 * contrastive_finish: the loss and the backward's coefficients from the fused forward's row sums
 * (Kernels/contrastive_loss_blocked_cpu.cl, contrastive_loss_tiled_gpu.cl).
 *
 * What it computes
 *   From Z_i = sum over row i's denominator of exp(s_ik - 1/tau) and align_i = u_i . u_p(i) for the M = 2N
 *   anchors:  w_n = 2 - N softmax_n(align_n / sigma) when dclw != 0 (DCLW), else 1;
 *             loss = mean_i (log Z_i + 1/tau - w_i align_i / tau);  invZ_i = 1 / Z_i.
 *   Sums are Kahan-compensated.
 *
 * Memory layout
 *   Z, align, invZ: M floats (invZ may be longer; the rest is untouched). w: N floats. loss: 1 float.
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

__kernel void contrastive_finish(__global const float* Z, __global const float* align, const int M,
                                 const int dclw, const float invTau, const float invSigma,
                                 __global float* invZ, __global float* w, __global float* loss) {
    const int N = M / 2;
    float peak = -INFINITY;
    compensated partition = {0.0f, 0.0f};
    if (dclw) {
        for (int n = 0; n < N; ++n) peak = fmax(peak, align[n] * invSigma);
        for (int n = 0; n < N; ++n) add(&partition, exp(align[n] * invSigma - peak));
    }
    for (int n = 0; n < N; ++n) {
        w[n] = dclw ? 2.0f - (float)N * exp(align[n] * invSigma - peak) / partition.sum : 1.0f;
    }
    compensated total = {0.0f, 0.0f};
    for (int i = 0; i < M; ++i) {
        add(&total, log(Z[i]) + invTau - w[i % N] * align[i] * invTau);
        invZ[i] = 1.0f / Z[i];
    }
    loss[0] = total.sum / (float)M;
}
