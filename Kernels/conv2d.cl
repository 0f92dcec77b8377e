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
 *     input-gradient GEMM result dcol. Each dx element of the chunk is
 *     written once (a gather, no atomics).
 *
 * Work decomposition
 *   conv_pack_columns: global (P, (Rp / P) * Kp), like gemm_pack with
 *     trans == 0: work-item (i, q) writes row i of panel q / Kp at depth
 *     q % Kp, so the P items sharing q write one contiguous run of dst.
 *   conv_scatter_output: global (images * S, O), one output element each;
 *     adjacent work-items read and write adjacent floats.
 *   conv_col2im: global (H * W, images * C), one dx element each, looping
 *     over the KH x KW kernel taps that can reach it.
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
    const int i = get_global_id(0);
    const int q = get_global_id(1);
    const int panel = q / Kp;
    const int k = q % Kp;
    const int r = panel * P + i;
    const int K = C * KH * KW;
    const int kk = pixel_rows ? k : r;
    const int j = pixel_rows ? r : k;

    float value = 0.0f;
    if (kk < K && j < columns) {
        const int S = OH * OW;
        const int n = n0 + j / S;
        const int pixel = j % S;
        const int oh = pixel / OW;
        const int ow = pixel % OW;
        const int kw = kk % KW;
        const int kh = (kk / KW) % KH;
        const int c = kk / (KW * KH);
        const int ih = oh * stride - pad + kh;
        const int iw = ow * stride - pad + kw;
        if (ih >= 0 && ih < H && iw >= 0 && iw < W) {
            value = src[(((size_t)n * C + c) * H + ih) * W + iw];
        }
    }
    dst[((size_t)panel * Kp + k) * P + i] = value;
}

__kernel void conv_scatter_output(__global const float* Cm,
                                  const int ldc,
                                  __global const float* bias,
                                  const int has_bias,
                                  const int S,
                                  const int O,
                                  const int n0,
                                  __global float* y)
{
    const int j = get_global_id(0);
    const int o = get_global_id(1);
    const int n = n0 + j / S;
    const float shift = has_bias ? bias[o] : 0.0f;
    y[((size_t)n * O + o) * S + j % S] = Cm[(size_t)o * ldc + j] + shift;
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
    const int pixel = get_global_id(0);
    const int plane = get_global_id(1); /* (n - n0) * C + c */
    const int image = plane / C;
    const int c = plane % C;
    const int ih = pixel / W;
    const int iw = pixel % W;
    const int S = OH * OW;

    float sum = 0.0f;
    for (int kh = 0; kh < KH; ++kh) {
        const int th = ih + pad - kh; /* = oh * stride */
        if (th < 0 || th % stride != 0 || th / stride >= OH) {
            continue;
        }
        const int oh = th / stride;
        for (int kw = 0; kw < KW; ++kw) {
            const int tw = iw + pad - kw; /* = ow * stride */
            if (tw < 0 || tw % stride != 0 || tw / stride >= OW) {
                continue;
            }
            const int kk = (c * KH + kh) * KW + kw;
            sum += dcol[(size_t)kk * ldc + image * S + oh * OW + tw / stride];
        }
    }
    dx[(((size_t)(n0 + image) * C + c) * H + ih) * W + iw] = sum;
}
