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
 * Work decomposition (integer division is slow on CPU devices, which run
 * work-items as vector lanes, so index arithmetic is done per work-item and
 * stepped incrementally in its loop)
 *   conv_pack_columns: global (Kp, Rp / P). Work-item (k, panel) writes the P
 *     contiguous floats of its panel at depth k, walking either the P
 *     columns (pixel_rows == 1) or the P patch rows (pixel_rows == 0); work-
 *     items adjacent in k write adjacent runs, so dst is written in order.
 *   conv_scatter_output: global (S, O, images), one output element each;
 *     adjacent work-items read and write adjacent floats.
 *   conv_col2im: global (H, C, images). Work-item (ih, c, image) owns one
 *     row of dx: it zeroes it, then adds the dcol entries of every kernel tap
 *     (kh, kw) and output column that read it.
 *   On a GPU these loops leave adjacent work-items P floats (pack) or a row
 *   (col2im) apart: correct, not tuned for coalescing.
 *
 * Required -D parameters: none.
 */

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
    const int k = get_global_id(0);
    const int panel = get_global_id(1);
    const int K = C * KH * KW;
    const int S = OH * OW;
    __global float* out = dst + ((size_t)panel * Kp + k) * P;

    /* Entry i of this panel row is X[panel * P + i, k]: the patch row kk and
     * the column j it stands for; one of them steps with i. */
    int kk = pixel_rows ? k : panel * P;
    int j = pixel_rows ? panel * P : k;
    int c = kk / (KH * KW);
    int kh = kk / KW % KH;
    int kw = kk % KW;
    int image = j / S;
    int oh = j % S / OW;
    int ow = j % OW;
    for (int i = 0; i < P; ++i) {
        float value = 0.0f;
        const int ih = oh * stride - pad + kh;
        const int iw = ow * stride - pad + kw;
        if (kk < K && j < columns && ih >= 0 && ih < H && iw >= 0 && iw < W) {
            value = src[(((size_t)(n0 + image) * C + c) * H + ih) * W + iw];
        }
        out[i] = value;
        if (pixel_rows) {
            ++j;
            if (++ow == OW) { ow = 0; if (++oh == OH) { oh = 0; ++image; } }
        } else {
            ++kk;
            if (++kw == KW) { kw = 0; if (++kh == KH) { kh = 0; ++c; } }
        }
    }
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
