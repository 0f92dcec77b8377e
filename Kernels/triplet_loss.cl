/*
 * triplet_loss: the triplet loss of two views with negatives mined from the batch (Sources/Simile/Losses/Triplet/
 * TripletLoss.swift gives the definition and the CPU path, which computes the same).
 *
 * What each kernel computes (U: the M = 2N unit rows, p(i) = (i + N) mod M, s_ij = U_i . U_j)
 *   triplet_mine:     for each anchor i: s_ip and its negative n(i) among the rows j not i, not p(i): the largest
 *                     s_ij (mining 0, hardest), or the largest s_ij below s_ip, else the smallest (mining 1,
 *                     semi-hard); the lowest j among equals. negatives[i] = n(i) (a float holding the row),
 *                     sims[2i] = s_ip, sims[2i + 1] = s_in.
 *   triplet_finish:   w_i = 2/M where the hinge h_i = 2 (s_in - s_ip) + margin is > 0, else 0; loss = sum h_i+ / M.
 *   triplet_backward: dU_r = w_r U_n(r) - (w_r + w_p(r)) U_p(r) + sum over anchors a with n(a) = r of w_a U_a.
 *
 * Memory layout: U and dU row-major M x D; negatives [M]; sims [M, 2]; weights [M]; loss [1].
 *
 * Work decomposition
 *   triplet_mine: one work-group of WG items per anchor (global M * WG); item t takes the rows j = t, t + WG, ...,
 *     each a dot product over D (the anchor's row stays in cache), and keeps three running candidates (hardest,
 *     semi-hard, easiest); the WG items' candidates are merged by a tree in local memory (larger or smaller value,
 *     then lower row), so the result does not depend on WG. No M x M matrix exists: each similarity is reduced
 *     where it is made. On CPU devices WG = 1 (one item walks the whole row; KernelShapes.reductionGroupSize).
 *   triplet_finish: one work-group of WG items strides over the anchors; group_sum adds the hinges.
 *   triplet_backward: one item per row of dU (global M); the scatter onto negatives is a gather over the M anchors
 *     (n(a) == r: M comparisons, then D adds per match), so no atomics are needed and the sum has one order.
 *
 * Required -D parameters: WG (a power of two).
 */

#include "group_sum.cl"

// a . b over D floats, four at a time (vload4 reads at any float offset).
float row_dot(__global const float* a, __global const float* b, const int D) {
    float4 s4 = (float4)(0.0f);
    int k = 0;
    for (; k + 4 <= D; k += 4) s4 += vload4(0, a + k) * vload4(0, b + k);
    float s = (s4.x + s4.y) + (s4.z + s4.w);
    for (; k < D; ++k) s += a[k] * b[k];
    return s;
}

// Keeps (j, s) in (*row, *value) when there is none yet, when s is larger (or smaller, larger == 0), or equal at a
// lower row.
void keep(int* row, float* value, const int j, const float s, const int larger) {
    if (j < 0) return;
    if (*row < 0 || (larger ? s > *value : s < *value) || (s == *value && j < *row)) {
        *row = j;
        *value = s;
    }
}

// Merges every item's candidate (row, value) into the group's best, returned to every item.
void merge(__local int* rows, __local float* values, int* row, float* value, const int larger) {
    const int t = get_local_id(0);
    rows[t] = *row;
    values[t] = *value;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int width = WG / 2; width > 0; width /= 2) {
        if (t < width) {
            int r = rows[t];
            float v = values[t];
            keep(&r, &v, rows[t + width], values[t + width], larger);
            rows[t] = r;
            values[t] = v;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    *row = rows[0];
    *value = values[0];
    barrier(CLK_LOCAL_MEM_FENCE);
}

__kernel void triplet_mine(__global const float* U, const int D, const int M, const int mining,
                           __global float* negatives, __global float* sims) {
    __local int rows[WG];
    __local float values[WG];
    const int i = get_group_id(0), t = get_local_id(0), p = (i + M / 2) % M;
    __global const float* a = U + (size_t)i * D;
    const float sp = row_dot(a, U + (size_t)p * D, D);
    int hardest = -1, semi = -1, easiest = -1;
    float hv = 0.0f, sv = 0.0f, ev = 0.0f;
    for (int j = t; j < M; j += WG) {
        if (j == i || j == p) continue;
        const float s = row_dot(a, U + (size_t)j * D, D);
        keep(&hardest, &hv, j, s, 1);
        if (s < sp) keep(&semi, &sv, j, s, 1);
        keep(&easiest, &ev, j, s, 0);
    }
    merge(rows, values, &hardest, &hv, 1);
    merge(rows, values, &semi, &sv, 1);
    merge(rows, values, &easiest, &ev, 0);
    if (t == 0) {
        const int chosen = mining == 0 ? hardest : semi >= 0 ? semi : easiest;
        negatives[i] = (float)chosen;
        sims[2 * i] = sp;
        sims[2 * i + 1] = mining == 0 ? hv : semi >= 0 ? sv : ev;
    }
}

__kernel void triplet_finish(__global const float* sims, const int M, const float margin, __global float* weights,
                             __global float* loss) {
    __local float partial[WG];
    const int t = get_local_id(0);
    float sum = 0.0f;
    for (int i = t; i < M; i += WG) {
        const float hinge = 2.0f * (sims[2 * i + 1] - sims[2 * i]) + margin;
        weights[i] = hinge > 0.0f ? 2.0f / (float)M : 0.0f;
        sum += hinge > 0.0f ? hinge : 0.0f;
    }
    const float total = group_sum(partial, sum, WG);
    if (t == 0) loss[0] = total / (float)M;
}

__kernel void triplet_backward(__global const float* U, __global const float* negatives,
                               __global const float* weights, const int D, const int M, __global float* dU) {
    const int r = get_global_id(0), p = (r + M / 2) % M;
    const float w = weights[r], both = w + weights[p];
    __global const float* near = U + (size_t)(int)negatives[r] * D;
    __global const float* pair = U + (size_t)p * D;
    __global float* g = dU + (size_t)r * D;
    for (int c = 0; c < D; ++c) g[c] = w * near[c] - both * pair[c];
    for (int a = 0; a < M; ++a) {
        if ((int)negatives[a] != r || weights[a] == 0.0f) continue;
        __global const float* anchor = U + (size_t)a * D;
        for (int c = 0; c < D; ++c) g[c] += weights[a] * anchor[c];
    }
}
