/*
 * gemm_pack: copy one GEMM operand into zero-padded, panel-major form.
 *
 * What it computes
 *   The logical operand X is a rows x depth matrix read from a row-major
 *   source with leading dimension ld:
 *     trans == 0:  X[r,k] = src[r*ld + k]
 *     trans == 1:  X[r,k] = src[k*ld + r]
 *   The output is split into panels of W consecutive rows. Each panel holds
 *   Kp x W floats stored k-major ("panel of W rows, k outer, row inner"):
 *     dst[(r / W) * (Kp * W) + k * W + (r % W)] = X[r,k]  if r < rows, k < depth
 *                                                 0       otherwise
 *   for every r < Rp and k < Kp, where Rp = rows rounded up to a multiple of
 *   W and Kp >= depth. The zero padding lets the GEMM kernels run their inner
 *   loops without bounds checks: a padded row or k step contributes 0.
 *
 *   GEMM usage (C = alpha*op(A)*op(B) + beta*C, op(A) is M x K, op(B) K x N):
 *     A: rows = M, depth = K, trans = transA,  W = A panel width (MR or TM)
 *     B: packed as op(B)^T, which is N x K:
 *        rows = N, depth = K, trans = !transB, W = B panel width (NR or TN)
 *
 * Work decomposition
 *   global size = (W, (Rp / W) * Kp), local size = NULL (any).
 *   Work-item (i, j) copies one element: row i of its panel at one k, so the
 *   W work-items sharing j write one contiguous W-float run of dst. How j
 *   maps to (panel, k) follows the contiguous direction of the source:
 *     trans == 0: j = panel * Kp + k  (walk k along the W source rows of a
 *                 panel; dst is written sequentially)
 *     trans == 1: j = k * (Rp / W) + panel  (walk along source row k across
 *                 all panels; src is read sequentially)
 *
 * Required -D parameters: none.
 */
__kernel void gemm_pack(__global const float* src,
                        const int rows,
                        const int depth,
                        const int ld,
                        const int trans,
                        __global float* dst,
                        const int W,
                        const int Kp)
{
    const int i = get_global_id(0);
    const int j = get_global_id(1);
    const int panels = get_global_size(1) / Kp;
    const int panel = trans ? j % panels : j / Kp;
    const int k = trans ? j / panels : j % Kp;
    const int r = panel * W + i;

    float x = 0.0f;
    if (r < rows && k < depth) {
        x = trans ? src[(size_t)k * ld + r] : src[(size_t)r * ld + k];
    }
    dst[((size_t)panel * Kp + k) * W + i] = x;
}
