/*
 * bank_rows: reading and updating rows of a bank (a K x d row-major matrix: a memory bank of one embedding per
 * training image, a support queue) at row numbers that live on the device, so that no step waits for the host.
 *
 * What each kernel computes
 *   Row numbers are floats holding integers (exact below 2^24); the host checked them against the bank's rows
 *   (RowIndices in Sources/Simile/Ops/BankRows.swift).
 *   gather_rows:           out[j, :] = bank[idx[j], :]                                     (out is N x d)
 *   momentum_update_rows:  for j = 0 .. N-1 in order: m = bank[idx[j], :];
 *                            m = mu * m + (1 - mu) * values[j, :];  bank[idx[j], :] = m / max(|m|, 1e-12)
 *                          A row named several times takes its updates in the order of j, as a loop would.
 *
 * Work decomposition
 *   gather_rows: global (d, N), one element each; adjacent work-items copy adjacent floats of a row.
 *   momentum_update_rows: global (N), one work-item per position j. Only the first position naming a row works: it
 *     applies every position naming that row, in order, each in two passes over the row (the blend with its sum of
 *     squares, then the scaling), so repeated rows need no atomics and the result is the same on every run.
 *
 * Required -D parameters: none.
 */

__kernel void gather_rows(__global const float* bank, __global const float* idx, const int d,
                          __global float* out)
{
    const int c = get_global_id(0);
    const int j = get_global_id(1);
    out[(size_t)j * d + c] = bank[(size_t)(int)idx[j] * d + c];
}

__kernel void momentum_update_rows(__global float* bank, __global const float* idx, const int n, const int d,
                                   __global const float* values, const float mu)
{
    const int j = get_global_id(0);
    const int row = (int)idx[j];
    for (int k = 0; k < j; ++k) {
        if ((int)idx[k] == row) {
            return;
        }
    }
    __global float* m = bank + (size_t)row * d;
    for (int k = j; k < n; ++k) {
        if ((int)idx[k] != row) {
            continue;
        }
        __global const float* v = values + (size_t)k * d;
        float squares = 0.0f;
        for (int c = 0; c < d; ++c) {
            const float blended = mu * m[c] + (1.0f - mu) * v[c];
            m[c] = blended;
            squares = fma(blended, blended, squares);
        }
        const float scale = 1.0f / fmax(sqrt(squares), 1e-12f);
        for (int c = 0; c < d; ++c) {
            m[c] *= scale;
        }
    }
}
