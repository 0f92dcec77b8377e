/*
 * soft_cross_entropy: cross-entropy of softmax(P / tau) against soft targets Q, row by row, with dLoss/dP
 * (SwAV's swapped prediction; Sources/Simile/Losses/SwAV/SoftTargetCrossEntropy.swift has the definition).
 *
 * What it computes, for row i of P and Q (N x K, row-major)
 *   m = max_k P[i, k] / tau,  s = sum_k exp(P[i, k] / tau - m),  lse = m + log(s),  w = sum_k Q[i, k]
 *   terms[i] = w * lse - sum_k Q[i, k] * P[i, k] / tau                      (= -sum_k Q log softmax)
 *   dP[i, k] = (exp(P[i, k] / tau - m) / s * w - Q[i, k]) / (N * tau)       (the gradient of the mean of terms)
 *
 * Work decomposition
 *   global (N), one work-item per row: three passes over its K values (the max, the sums, then the term and the
 *   gradient), each in a fixed order. Rows are SwAV's batch against its prototypes (K up to a few thousand).
 *
 * Required -D parameters: none.
 */

__kernel void soft_cross_entropy(__global const float* p, __global const float* q, const int n, const int k,
                                 const float tau, __global float* terms, __global float* dp)
{
    const int i = get_global_id(0);
    __global const float* logits = p + (size_t)i * k;
    __global const float* targets = q + (size_t)i * k;
    __global float* gradient = dp + (size_t)i * k;
    float top = -INFINITY;
    for (int c = 0; c < k; ++c) {
        top = fmax(top, logits[c] / tau);
    }
    float sum = 0.0f, weight = 0.0f, dot = 0.0f;
    for (int c = 0; c < k; ++c) {
        const float z = logits[c] / tau;
        sum += exp(z - top);
        weight += targets[c];
        dot = fma(targets[c], z, dot);
    }
    terms[i] = weight * (top + log(sum)) - dot;
    const float scale = 1.0f / ((float)n * tau);
    for (int c = 0; c < k; ++c) {
        gradient[c] = (exp(logits[c] / tau - top) / sum * weight - targets[c]) * scale;
    }
}
