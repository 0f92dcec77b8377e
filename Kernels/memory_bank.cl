/*
 * memory_bank: the small kernels around the fused memory-bank kernels
 * (memory_bank_blocked_cpu.cl, memory_bank_tiled_gpu.cl) of InfoNCE and the
 * nearest-neighbour search.
 *
 * inverse_row_norms
 *   inverse[r] = 1 / max(||x_r||, eps) for a row-major rows x cols matrix x
 *   (the bank), so that the fused kernels can use the raw bank: b^_j = b_j * inverse[j].
 *   Work decomposition: global size = rows, one work-item per row.
 *
 * infonce_positive
 *   M[i] = s+_i = q^_i . k^_i / tau for the N unit rows q^ and k^ (row-major
 *   N x d), and M[i] = 0 for the padded rows N .. global size - 1 (zero
 *   queries: all their logits are 0): the running shift infonce_blocks
 *   starts from, so that it rises only for bank rows closer than the key.
 *   Work decomposition: global size = N rounded up to whole panels, one
 *   work-item per (padded) query row.
 *
 * infonce_finish
 *   Given, per query row i, the running shift M[i] (at least s+, at most
 *   slack below the largest s_ij), the bank partition sum Z[i] = sum_j E_ij and
 *   G_i = sum_j E_ij b^_j (E_ij = exp(s_ij - M[i])) from infonce_blocks, and
 *   the unit rows q^ and k^, writes with e+ = exp(s+ - M[i]), Z = Z[i] + e+ and
 *   1 - P+ = Z[i] / Z (the bank's share: no subtraction from 1, which would keep none of a tiny one):
 *     terms[i] = positive_loss(Z[i], M[i] - s+)            (the loss of row i, log(Z / e+):
 *                                                          positive_loss.cl, exact when it is tiny)
 *     dQ[i, :] = (G_i / Z - (1 - P+) k^_i) * scale          (dLoss/dq^, scale = 1/(N tau))
 *     dK[i, :] = -(1 - P+) q^_i * scale                     (dLoss/dk^)
 *   With keyInBank (InstDisc: k^_i is a row of the bank, already in Z[i]),
 *   Z = Z[i] and the key's coefficient is -1:
 *     terms[i] = log(Z[i]) + M[i] - s+                     (-s+ + log sum_j exp(s_ij))
 *     dQ[i, :] = (G_i / Z - k^_i) * scale,  dK[i, :] = -q^_i * scale
 *   G is in the packed panel layout of the fused kernels: panels of W rows,
 *   feature-major inside a panel: G_i[c] = Gp[(i / W) * d * W + c * W + i % W].
 *   Work decomposition: global size = N, one work-item per query row.
 */

#include "positive_loss.cl"

__kernel void inverse_row_norms(__global const float* x, const int cols, const float eps,
                                __global float* inverse)
{
    const size_t r = get_global_id(0);
    const __global float* row = x + r * cols;
    float squares = 0.0f;
    for (int c = 0; c < cols; ++c) squares = fma(row[c], row[c], squares);
    inverse[r] = 1.0f / fmax(sqrt(squares), eps);
}

/* s+_i = q^_i . k^_i / tau: the same value in infonce_positive and infonce_finish. */
float positive_logit(__global const float* queries, __global const float* keys, const size_t i,
                     const int d, const float invT)
{
    const __global float* q = queries + i * d;
    const __global float* k = keys + i * d;
    float dot = 0.0f;
    for (int c = 0; c < d; ++c) dot = fma(q[c], k[c], dot);
    return dot * invT;
}

__kernel void infonce_positive(__global const float* queries, __global const float* keys, const int n,
                               const int d, const float invT, __global float* M)
{
    const size_t i = get_global_id(0);
    M[i] = i < n ? positive_logit(queries, keys, i, d, invT) : 0.0f;
}

__kernel void infonce_finish(__global const float* queries, __global const float* keys,
                             __global const float* Gp, const int W, __global const float* Z,
                             __global const float* M, const int d, const float invT, const float scale,
                             const int keyInBank, __global float* terms, __global float* dQ, __global float* dK)
{
    const size_t i = get_global_id(0);
    const __global float* q = queries + i * d;
    const __global float* k = keys + i * d;
    const __global float* g = Gp + (i / W) * d * W + i % W;
    const float gap = M[i] - positive_logit(queries, keys, i, d, invT);
    const float total = keyInBank ? Z[i] : Z[i] + exp(-gap);
    const float keyWeight = keyInBank ? -scale : -Z[i] / total * scale;
    const float bankWeight = scale / total;
    for (int c = 0; c < d; ++c) {
        dQ[i * d + c] = fma(g[(size_t)c * W], bankWeight, keyWeight * k[c]);
        dK[i * d + c] = keyWeight * q[c];
    }
    terms[i] = keyInBank ? log(Z[i]) + gap : positive_loss(Z[i], gap);
}
