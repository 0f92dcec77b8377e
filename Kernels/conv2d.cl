/*
 * conv2d: the data movement around the GEMMs of a 2-D convolution on a chunk
 * of images (implicit im2col: the im2col matrix is never stored whole).
 *
 * Layout
 *   Tensors are NCHW, row-major: x[N,C,H,W], y and dy [N,O,OH,OW], weight
 *   [O,C,KH,KW]. Zero padding `pad` on every side, stride `s`, no dilation.
 *   The im2col matrix of an image tensor src[N,C,H,W] for a KH x KW kernel
 *   has K = C*KH*KW rows, row kk = (c*KH + kh)*KW + kw, and one column per
 *   output pixel of the chunk n0 .. n0+images-1, column j = (n-n0)*S + oh*OW + ow
 *   with S = OH*OW:
 *     col[kk, j] = src[n, c, oh*s - pad + kh, ow*s - pad + kw]  (0 outside)
 *   dy is the im2col matrix of itself for a 1x1 kernel, stride 1, pad 0.
 *
 * What each kernel computes (the GEMMs in between are gemm_packed, chosen
 * per device type by the launcher, Sources/Simile/OpenCL/Conv2dOpenCL.swift)
 *   conv_pack_columns: writes col as a GEMM operand in gemm_pack's panel
 *     layout (Kernels/gemm_pack.cl): logical X is rows x depth with
 *       pixel_rows == 1:  X[r, k] = col[k, r]   (rows = columns of the chunk)
 *       pixel_rows == 0:  X[r, k] = col[r, k]   (rows = K)
 *     dst[(r / P) * (Kp * P) + k * P + (r % P)] = X[r, k], zero-padded.
 *     Forward B and input-gradient B (dy) use pixel_rows = 1; weight-
 *     gradient A (dy) and B (x) use pixel_rows = 0.
 *   conv_scatter_output: y[n0 + j / S, o, j % S] = Cm[o * ldc + j] + bias[o]
 *     (bias only when has_bias), for the O x (images*S) GEMM result Cm.
 *   conv_col2im: dx[n, c, ih, iw] = sum of dcol[kk, j] over the (kk, j)
 *     whose im2col entry reads x[n, c, ih, iw], for the K x (images*S)
 *     input-gradient GEMM result dcol. Each dx row of the chunk belongs to
 *     one work-item, so no atomics are needed.
 *
 * Work decomposition (tuned on PoCL, which runs the work-items of a group
 * as vector lanes along dimension 0 and has no vector integer division)
 *   conv_pack_columns: global (P, Kp, Rp / P), local (P, 1, 1). Work-item
 *     (i, k, panel) writes row i of its panel at depth k, so the P lanes of
 *     a group store one contiguous run of dst; their indices are split with
 *     div_small (float reciprocal + one correction) instead of "/" and "%".
 *   conv_scatter_output: global (S, O, images), one y element each;
 *     adjacent work-items read and write adjacent floats.
 *   conv_col2im: global (H, C, images), local (1, 1, 1). Work-item (ih, c,
 *     image) owns one row of dx: it zeroes it, then adds the dcol entries of
 *     every kernel tap (kh, kw) and output column that read it (a loop per
 *     work-item measured 3x faster on PoCL than one work-item per element).
 *   On a GPU the col2im rows leave adjacent work-items a row apart: correct,
 *   not tuned for coalescing.
 *
 * Required -D parameters: none.
 */

/* a / b for 0 <= a < 2^22 and 0 < b, through a float reciprocal and one
 * correction step (the estimate is off by less than 1 in that range). */
inline int div_small(const int a, const int b)
{
    int q = (int)((float)a * (1.0f / (float)b));
    q -= (q * b > a);
    q += ((q + 1) * b <= a);
    return q;
}

__kernel void conv_pack_columns(__global const float* src,
                                const int C, const int H, const int W,
                                const int KH, const int KW,
                                const int stride, const int pad,
                                const int OH, const int OW,
                                const int n0, const int columns,
                                const int pixel_rows,
                                __global float* dst,
                                const int P,
                                const int Kp)
{
    const int i = get_global_id(0);
    const int k = get_global_id(1);
    const int panel = get_global_id(2);
    const int r = panel * P + i;
    const int kk = pixel_rows ? k : r;
    const int j = pixel_rows ? r : k;

    float value = 0.0f;
    if (kk < C * KH * KW && j < columns) {
        const int S = OH * OW;
        const int image = div_small(j, S);
        const int pixel = j - image * S;
        const int oh = div_small(pixel, OW);
        const int ow = pixel - oh * OW;
        const int taps = KH * KW;
        const int c = div_small(kk, taps);
        const int tap = kk - c * taps;
        const int kh = div_small(tap, KW);
        const int kw = tap - kh * KW;
        const int ih = oh * stride - pad + kh;
        const int iw = ow * stride - pad + kw;
        if (ih >= 0 && ih < H && iw >= 0 && iw < W) {
            value = src[(((size_t)(n0 + image) * C + c) * H + ih) * W + iw];
        }
    }
    dst[((size_t)panel * Kp + k) * P + i] = value;
}

__kernel void conv_scatter_output(__global const float* Cm,
                                  const int ldc,
                                  __global const float* bias,
                                  const int has_bias,
                                  const int O,
                                  const int n0,
                                  __global float* y)
{
    const int pixel = get_global_id(0);
    const int o = get_global_id(1);
    const int image = get_global_id(2);
    const int S = get_global_size(0);
    const float shift = has_bias ? bias[o] : 0.0f;
    y[((size_t)(n0 + image) * O + o) * S + pixel] = Cm[(size_t)o * ldc + image * S + pixel] + shift;
}

__kernel void conv_col2im(__global const float* dcol,
                          const int C, const int H, const int W,
                          const int KH, const int KW,
                          const int stride, const int pad,
                          const int OH, const int OW,
                          const int n0,
                          const int ldc,
                          __global float* dx)
{
    const int ih = get_global_id(0);
    const int c = get_global_id(1);
    const int image = get_global_id(2);
    __global float* row = dx + (((size_t)(n0 + image) * C + c) * H + ih) * W;
    for (int iw = 0; iw < W; ++iw) {
        row[iw] = 0.0f;
    }
    /* Output row oh reads input row oh * stride - pad + kh. */
    for (int kh = 0; kh < KH; ++kh) {
        const int th = ih + pad - kh;
        if (th < 0 || th % stride != 0 || th / stride >= OH) {
            continue;
        }
        for (int kw = 0; kw < KW; ++kw) {
            __global const float* d = dcol + (size_t)((c * KH + kh) * KW + kw) * ldc
                                      + image * OH * OW + th / stride * OW;
            for (int ow = 0; ow < OW; ++ow) {
                const int iw = ow * stride - pad + kw;
                if (iw >= 0 && iw < W) {
                    row[iw] += d[ow];
                }
            }
        }
    }
}
