/*
 * gemm_split_k_reduce: the second half of a split-K GEMM.
 *
 * What it computes
 *   C[r, c] = alpha * (P[0, r, c] + P[1, r, c] + ... + P[S-1, r, c])
 *             + beta * C[r, c]
 *   for the S partial products P[s] that gemm_packed's layers wrote, each
 *   the product over one slice of K. The slices are summed in slice order,
 *   so the result is the same on every run (atomics would not be). When
 *   beta == 0, C is written without being read (it may hold NaN).
 *
 * Memory layout
 *   P: S slices of M x N floats, row-major and dense:
 *      P[(s * M + r) * N + c].
 *   C: row-major M x N with leading dimension ldc.
 *
 * Work decomposition
 *   global size = (N, M), local size = NULL. Work-item (c, r) owns one
 *   element of C; adjacent work-items read adjacent floats of each slice
 *   (coalesced on a GPU, contiguous on a CPU thread).
 *
 * Required -D parameters: none.
 */

__kernel void gemm_split_k_reduce(__global const float* P,
                                  const int slices,
                                  const int M,
                                  const int N,
                                  __global float* C,
                                  const int ldc,
                                  const float alpha,
                                  const float beta)
{
    const int c = get_global_id(0);
    const int r = get_global_id(1);
    const size_t stride = (size_t)M * N;
    const __global float* p = P + (size_t)r * N + c;
    float sum = 0.0f;
    for (int s = 0; s < slices; ++s) {
        sum += p[s * stride];
    }
    __global float* out = C + (size_t)r * ldc + c;
    float result = alpha * sum;
    if (beta != 0.0f) {
        result = fma(beta, *out, result);
    }
    *out = result;
}
