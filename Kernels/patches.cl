/*
 * patches: square patches cut from a batch of images, each patch a row of its own for an encoder (PIRL's jigsaw
 * pieces, CPC's grid).
 *
 * What it computes
 *   x is [N, C, H, W], out is [N * R * Q, C, S, S] for a grid of R rows and Q columns of S x S patches, `step` pixels
 *   apart:  out[(n * R + i) * Q + j, c, y, x'] = x[n, c, i * step + y, j * step + x'].
 *   The host checked that the last patch lies inside the image.
 *
 * Work decomposition
 *   One work-item per patch row of S floats (global = N * R * Q * C * S): the divisions that place a row are paid
 *   once per row, not per float (a per-float item ran at 2% of PoCL's copy bandwidth), and the row is one contiguous
 *   read and write. A pure copy: no arithmetic, no reuse worth local memory.
 *
 * Required -D parameters: none.
 */

__kernel void cut_patches(__global const float* x, __global float* out, const int C, const int H, const int W,
                          const int R, const int Q, const int S, const int step)
{
    const int row = get_global_id(0);
    const int y = row % S, c = row / S % C, patch = row / (S * C);
    const int j = patch % Q, i = patch / Q % R, n = patch / (Q * R);
    __global const float* source = x + ((size_t)(n * C + c) * H + i * step + y) * W + j * step;
    __global float* target = out + (size_t)row * S;
    for (int k = 0; k < S; ++k) target[k] = source[k];
}
