/*
 * sinkhorn: SwAV's codes, the Sinkhorn-Knopp normalisation of exp(scores / eps) (Sources/Simile/Losses/SwAV/
 * Sinkhorn.swift has the definition and its reference).
 *
 * What each kernel computes, on Q (B x K, row-major: B samples, K prototypes) in place
 *   sinkhorn_prototypes: for each prototype column k: with `first`, Q[b, k] = exp((S[b, k] - max_b S[., k]) / eps)
 *     (the shift keeps exp below 1; the normalisation that follows removes it exactly); then
 *     Q[., k] /= (sum_b Q[b, k] * K), so every prototype holds 1/K of the mass.
 *   sinkhorn_samples: for each sample row b: Q[b, .] /= (sum_k Q[b, k] * divisor), divisor B between iterations,
 *     1 after the last (SwAV's final Q *= B folded in: each row then sums to 1).
 *
 * Work decomposition
 *   sinkhorn_prototypes: global (K), one work-item per column, walking its B rows in order (adjacent work-items
 *     read adjacent floats of a row); sinkhorn_samples: global (B), one work-item per row. Every sum runs in a fixed
 *     order, so the codes are the same on every run.
 *
 * Required -D parameters: none.
 */

__kernel void sinkhorn_prototypes(__global float* q, __global const float* s, const int b, const int k,
                                  const float eps, const int first)
{
    const int column = get_global_id(0);
    if (first) {
        float top = -INFINITY;
        for (int row = 0; row < b; ++row) {
            top = fmax(top, s[(size_t)row * k + column]);
        }
        for (int row = 0; row < b; ++row) {
            q[(size_t)row * k + column] = exp((s[(size_t)row * k + column] - top) / eps);
        }
    }
    float sum = 0.0f;
    for (int row = 0; row < b; ++row) {
        sum += q[(size_t)row * k + column];
    }
    const float scale = 1.0f / (sum * (float)k);
    for (int row = 0; row < b; ++row) {
        q[(size_t)row * k + column] *= scale;
    }
}

__kernel void sinkhorn_samples(__global float* q, const int k, const float divisor)
{
    __global float* row = q + (size_t)get_global_id(0) * k;
    float sum = 0.0f;
    for (int column = 0; column < k; ++column) {
        sum += row[column];
    }
    const float scale = 1.0f / (sum * divisor);
    for (int column = 0; column < k; ++column) {
        row[column] *= scale;
    }
}
