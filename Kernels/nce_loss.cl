/*
 * nce_loss: noise-contrastive estimation against a memory bank, InstDisc's and PIRL's `--loss nce`
 * (Sources/Simile/Losses/NCE/NCELoss.swift gives the definition and the CPU path, which computes the same).
 *
 * What each kernel computes (U: the B unit queries, P: their unit target rows, S: the B x K cosines of the queries
 * with the K unit noise rows, made by a GEMM before; x = s / tau - offset with offset = log Z + log(K / n))
 *   nce_positives:  pos[b] = U_b . P_b.
 *   nce_normaliser: when state[0] == 0 (Z not yet estimated): state[1] = log Z = log n + log mean exp(s / tau) over
 *                   the B (K + 1) cosines (positives and noise) of this batch, with the largest subtracted first, and
 *                   state[0] = 1. Later launches return at once: Z stays what the first batch made it.
 *   nce_rows:       row b's loss softplus(-x_pos) + sum_k softplus(x_k) into rows[b]; S_bk is overwritten by
 *                   dL/ds_bk = sigmoid(x_k) * scale and dU_b = -sigmoid(-x_pos) * scale * P_b (scale = 1 / (tau B));
 *                   the noise rows' share of dU (G . N) is a GEMM after.
 *
 * Memory layout: U, P and dU row-major B x D; S row-major B x K; pos and rows [B]; state [2]. The loss, the mean of
 * rows, is reduce.cl's.
 *
 * Work decomposition
 *   nce_positives: one item per row (global B).
 *   nce_normaliser: one work-group of WG items striding over the values; the largest by a tree in
 *     local memory, the sums by group_sum.
 *   nce_rows: one work-group of WG items per row (global B * WG); item t takes the noise columns k = t, t + WG, ...
 *     and the features c = t, t + WG, ... of dU_b; group_sum adds the row's loss. On CPU devices WG = 1
 *     (KernelShapes.reductionGroupSize): one item walks the row.
 *
 * Required -D parameters: WG (a power of two).
 */

#include "group_sum.cl"

// log(1 + exp(x)) without overflow.
float softplus(const float x) { return fmax(x, 0.0f) + log1p(exp(-fabs(x))); }

// 1 / (1 + exp(-x)) without overflow.
float sigmoid(const float x) {
    const float e = exp(-fabs(x));
    return x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

__kernel void nce_positives(__global const float* U, __global const float* P, const int D, __global float* pos) {
    const int b = get_global_id(0);
    float s = 0.0f;
    for (int c = 0; c < D; ++c) s += U[(size_t)b * D + c] * P[(size_t)b * D + c];
    pos[b] = s;
}

__kernel void nce_normaliser(__global const float* S, __global const float* pos, const int B, const int K,
                             const float invTau, const float logRows, __global float* state) {
    __local float partial[WG];
    if (state[0] != 0.0f) return;
    const int t = get_local_id(0);
    const long noise = (long)B * K;
    float largest = -INFINITY;
    for (long i = t; i < noise; i += WG) largest = fmax(largest, S[i] * invTau);
    for (int b = t; b < B; b += WG) largest = fmax(largest, pos[b] * invTau);
    largest = group_max(partial, largest, WG);
    float sum = 0.0f;
    for (long i = t; i < noise; i += WG) sum += exp(S[i] * invTau - largest);
    for (int b = t; b < B; b += WG) sum += exp(pos[b] * invTau - largest);
    sum = group_sum(partial, sum, WG);
    if (t == 0) {
        state[1] = logRows + largest + log(sum) - log((float)B * (float)(K + 1));
        state[0] = 1.0f;
    }
}

__kernel void nce_rows(__global float* S, __global const float* pos, __global const float* P, const int K,
                       const int D, const float invTau, const float logNoiseRatio, const float scale,
                       __global const float* state, __global float* dU, __global float* rows) {
    __local float partial[WG];
    const int b = get_group_id(0), t = get_local_id(0);
    const float offset = state[1] + logNoiseRatio;
    __global float* s = S + (size_t)b * K;
    float loss = 0.0f;
    for (int k = t; k < K; k += WG) {
        const float x = s[k] * invTau - offset;
        loss += softplus(x);
        s[k] = sigmoid(x) * scale;
    }
    const float x = pos[b] * invTau - offset;
    if (t == 0) loss += softplus(-x);
    const float weight = -sigmoid(-x) * scale;
    for (int c = t; c < D; c += WG) dU[(size_t)b * D + c] = weight * P[(size_t)b * D + c];
    loss = group_sum(partial, loss, WG);
    if (t == 0) rows[b] = loss;
}
