// SimCLR's augmentations (issue 11) and BYOL's solarisation fused into one kernel over a uint8 batch: each view is
// a crop of one source image, resized, flipped, colour-jittered, grayscaled, blurred, solarised and normalised, every
// op as torchvision defines it on float images in [0, 1] (uint8 / 255). The CPU path
// (Sources/Simile/Data/Augment/AugmentCPU.swift) computes the same float32 steps in the same order; the parameters
// are drawn on the host (ViewParameters.swift).
//
// Layout:
//   src     uint8 [N, C, H, W], the source images.
//   params  float: mean[3], std[3] (the normalisation; mean 0 and std 1 without one), then one record of STRIDE
//           floats per view (integers are stored exactly as floats):
//             0 image index, 1 top, 2 left, 3 height, 4 width (the crop box in source pixels), 5 flip (0/1),
//             6 jitter step count n, 7 + 2s / 8 + 2s kind and factor of step s < n (0 brightness, 1 contrast,
//             2 saturation, 3 hue), 15 grayscale (0/1), 16 solarise (0/1), 17 its threshold t,
//             18 blur kernel size k (0: no blur), 19 jigsaw grid g (0: no jigsaw), 20 its piece size s,
//             21.. k blur weights, then g * g pairs (top, left): piece t's window in the unjigsawed view.
//   out     float [V, C, outH, outW], the views.
//   scratch float [V, C, outH, outW] for the blur's horizontal pass and the jigsaw's copy of the finished view (out
//           itself when no view is blurred or jigsawed).
//
// Work decomposition: one work-group of WG items per view (global V * WG, local WG); item t owns the output
// pixels t, t + WG, ... of its view, so it rereads only what it wrote itself and needs no barrier for that.
//   pass 1: each pixel's crop-resize (antialiased bilinear, tap weights computed on the fly; the flip only changes
//           which output column a pixel is) and the jitter steps before contrast, which needs the mean of the whole
//           jittered view: when contrast is among the steps, pass 1 stops before it and sums the pixels' luma;
//   mean:   group_sum of those sums (a tree in local memory; one item's own sum on CPU devices, where WG = 1 as
//           for the other reductions: KernelShapes.reductionGroupSize);
//   pass 2: contrast and the remaining steps (only when contrast is among them), then grayscale; without a blur
//           the solarisation and the normalisation (`finish`) are folded into the last pass's store;
//   blur:   separable, torchvision's reflect padding: rows from out into scratch, a barrier on global memory
//           (the group reads its own view's writes), then columns from scratch into out, solarised and normalised;
//   jigsaw: the finished view copied into scratch, a barrier, then each output pixel read from its piece's window
//           (piece t at row t / g, column t % g of the packed grid of s-pixel pieces; 0 outside the grid).
// Every item of every group reaches every barrier (group_sum's, the blur's two and the jigsaw's two), whatever its
// view's steps; the
// passes a view does not need are empty loops.
// Required -D parameters: WG (a power of two), STRIDE (floats per view record).

#include "group_sum.cl"

#define RECORD_HEADER 21

float luma(const float r, const float g, const float b) { return 0.2989f * r + 0.587f * g + 0.114f * b; }

// torchvision's _blend: clamp(f * x + (1 - f) * y, 0, 1).
float blend(const float x, const float y, const float f) { return clamp(f * x + (1.0f - f) * y, 0.0f, 1.0f); }

// adjust_hue at one pixel: torchvision's _rgb2hsv, h' = (h + shift) mod 1, _hsv2rgb.
float3 shift_hue(const float3 rgb, const float shift) {
    const float maxc = fmax(fmax(rgb.x, rgb.y), rgb.z), minc = fmin(fmin(rgb.x, rgb.y), rgb.z);
    const int equal = maxc == minc;
    const float cr = maxc - minc;
    const float s = cr / (equal ? 1.0f : maxc);
    const float divisor = equal ? 1.0f : cr;
    const float rc = (maxc - rgb.x) / divisor, gc = (maxc - rgb.y) / divisor, bc = (maxc - rgb.z) / divisor;
    const float h6 = maxc == rgb.x ? bc - gc : maxc == rgb.y ? 2.0f + rc - bc : 4.0f + gc - rc;
    float h = fmod(h6 / 6.0f + 1.0f, 1.0f) + shift;
    h = h - floor(h);
    const float v = maxc, sector = floor(h * 6.0f), f = h * 6.0f - sector;
    const float p = clamp(v * (1.0f - s), 0.0f, 1.0f);
    const float q = clamp(v * (1.0f - s * f), 0.0f, 1.0f);
    const float t = clamp(v * (1.0f - s * (1.0f - f)), 0.0f, 1.0f);
    switch ((int)sector % 6) {
        case 0: return (float3)(v, t, p);
        case 1: return (float3)(q, v, p);
        case 2: return (float3)(p, v, t);
        case 3: return (float3)(p, q, v);
        case 4: return (float3)(t, p, v);
        default: return (float3)(v, p, q);
    }
}

// Applies jitter steps [first, last) of `record` to the pixel `x` (C values); `mean` is contrast's.
void jitter(float* x, const int C, __global const float* record, const int first, const int last, const float mean) {
    for (int step = first; step < last; ++step) {
        const int kind = (int)record[7 + 2 * step];
        const float f = record[8 + 2 * step];
        if (kind == 3) {
            const float3 rgb = shift_hue((float3)(x[0], x[1], x[2]), f);
            x[0] = rgb.x; x[1] = rgb.y; x[2] = rgb.z;
            continue;
        }
        const float gray = kind == 2 ? luma(x[0], x[1], x[2]) : 0.0f;
        for (int c = 0; c < C; ++c) {
            x[c] = kind == 0 ? clamp(f * x[c], 0.0f, 1.0f) : blend(x[c], kind == 1 ? mean : gray, f);
        }
    }
}

// The antialiased bilinear taps of output index i resizing `in` samples to `out` (torch's interpolate with
// antialias=True): scale = in/out, support = max(scale, 1), center = scale (i + 0.5), taps j in [lo, hi) with
// lo = max(trunc(center - support + 0.5), 0), hi = min(trunc(center + support + 0.5), in), weight
// max(0, 1 - |j - center + 0.5| / support); returns the weights' total, by which each is divided.
float taps(const int i, const int in, const int out, float* center, float* support, int* lo, int* hi) {
    const float scale = (float)in / (float)out;
    *support = fmax(scale, 1.0f);
    *center = scale * ((float)i + 0.5f);
    *lo = max((int)(*center - *support + 0.5f), 0);
    *hi = min((int)(*center + *support + 0.5f), in);
    float total = 0.0f;
    for (int j = *lo; j < *hi; ++j) total += fmax(0.0f, 1.0f - fabs(((float)j - *center + 0.5f) / *support));
    return total;
}

float tap_weight(const int j, const float center, const float support, const float total) {
    return fmax(0.0f, 1.0f - fabs(((float)j - center + 0.5f) / support)) / total;
}

// x / 255 rounded correctly, as the CPU path's division is. OpenCL C allows `/` 2.5 ulp of error (NVIDIA's uses
// it), which made preset none's views differ from uint8 / 255 on a GPU. One residual step on the product with the
// rounded reciprocal 0x1.010102p-8 gives the correctly rounded quotient for every float in [0, 256] (checked
// exhaustively against a correctly rounded division); crop-resize sums lie in [0, 255].
float divide_by_255(const float x) {
    const float reciprocal = 0x1.010102p-8f;
    const float quotient = x * reciprocal;
    return fma(fma(-quotient, 255.0f, x), reciprocal, quotient);
}

// Resizes the crop box of `image` (C planes of H x W) to output pixel (oy, ox) of every channel, into x.
void resize_pixel(__global const uchar* image, const int C, const int H, const int W, __global const float* record,
                  const int outH, const int outW, const int oy, const int ox, float* x) {
    const int top = (int)record[1], left = (int)record[2], height = (int)record[3], width = (int)record[4];
    float cy, sy, cx, sx;
    int y0, y1, x0, x1;
    const float ty = taps(oy, height, outH, &cy, &sy, &y0, &y1);
    const float tx = taps(ox, width, outW, &cx, &sx, &x0, &x1);
    for (int c = 0; c < C; ++c) {
        __global const uchar* plane = image + (c * H + top) * W + left;
        float sum = 0.0f;
        for (int y = y0; y < y1; ++y) {
            float row = 0.0f;
            for (int j = x0; j < x1; ++j) row += tap_weight(j, cx, sx, tx) * (float)plane[y * W + j];
            sum += tap_weight(y, cy, sy, ty) * row;
        }
        x[c] = divide_by_255(sum);
    }
}

// The last steps of value v of channel c: torchvision's solarize (v >= t ? 1 - v : v) when `solarize`, then the
// normalisation (v - mean_c) / std_c.
float finish(float v, const int c, __global const float* params, const int solarize, const float threshold) {
    if (solarize && v >= threshold) v = 1.0f - v;
    return (v - params[c]) / params[3 + c];
}

// The reflect-padded index of i in [0, n) (torchvision's "reflect": the edge sample is not repeated).
int reflect(const int i, const int n) { return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i; }

__kernel void augment(__global const uchar* src, __global const float* params, __global float* out,
                      __global float* scratch, const int C, const int H, const int W, const int outH, const int outW) {
    __local float partial[WG];
    const int view = get_group_id(0), t = get_local_id(0), pixels = outH * outW;
    __global const float* record = params + 6 + view * STRIDE;
    __global const uchar* image = src + (int)record[0] * C * H * W;
    __global float* y = out + view * C * pixels;
    const int flip = (int)record[5], steps = (int)record[6], gray = (int)record[15] && C == 3;
    const int solarize = (int)record[16], blur = (int)record[18];
    const float threshold = record[17];
    int contrast = steps;
    for (int s = 0; s < steps; ++s) if ((int)record[7 + 2 * s] == 1) contrast = s;
    float x[3];

    // Pass 1: crop-resize-flip and the steps before contrast; the luma sum for contrast's mean.
    float luma_sum = 0.0f;
    for (int p = t; p < pixels; p += WG) {
        const int oy = p / outW, ox = p % outW;
        resize_pixel(image, C, H, W, record, outH, outW, oy, flip ? outW - 1 - ox : ox, x);
        jitter(x, C, record, 0, contrast, 0.0f);
        if (contrast < steps) {
            luma_sum += C == 3 ? luma(x[0], x[1], x[2]) : x[0];
        } else if (gray) {
            x[0] = x[1] = x[2] = luma(x[0], x[1], x[2]);
        }
        const int last = contrast == steps && !blur;
        for (int c = 0; c < C; ++c) y[c * pixels + p] = last ? finish(x[c], c, params, solarize, threshold) : x[c];
    }

    // Pass 2: contrast with the view's mean luma, then the steps after it and grayscale. The barriers (in group_sum
    // and below) are reached by every item of every group, whatever its view's steps: PoCL 3.1 aborted (an assertion
    // in its event handling) when they sat under a branch, although the branch is uniform across the group.
    const float mean = group_sum(partial, luma_sum, WG) / (float)pixels;
    if (contrast < steps) {
        for (int p = t; p < pixels; p += WG) {
            for (int c = 0; c < C; ++c) x[c] = y[c * pixels + p];
            jitter(x, C, record, contrast, steps, mean);
            if (gray) x[0] = x[1] = x[2] = luma(x[0], x[1], x[2]);
            for (int c = 0; c < C; ++c) y[c * pixels + p] = blur ? x[c] : finish(x[c], c, params, solarize, threshold);
        }
    }

    // Blur: rows into scratch, then columns back into out, solarised and normalised.
    __global const float* weights = record + RECORD_HEADER;
    __global float* z = scratch + view * C * pixels;
    const int radius = blur / 2;
    barrier(CLK_GLOBAL_MEM_FENCE);
    for (int e = t; blur && e < C * pixels; e += WG) {
        const int row = e / outW, ox = e % outW;
        float sum = 0.0f;
        for (int k = 0; k < blur; ++k) sum += weights[k] * y[row * outW + reflect(ox + k - radius, outW)];
        z[e] = sum;
    }
    barrier(CLK_GLOBAL_MEM_FENCE);
    for (int e = t; blur && e < C * pixels; e += WG) {
        const int c = e / pixels, oy = e % pixels / outW, ox = e % outW;
        float sum = 0.0f;
        for (int k = 0; k < blur; ++k) sum += weights[k] * z[(c * outH + reflect(oy + k - radius, outH)) * outW + ox];
        y[e] = finish(sum, c, params, solarize, threshold);
    }

    // Jigsaw: the finished view into scratch (after the blur's reads of it), then each pixel from its piece.
    const int grid = (int)record[19], size = (int)record[20];
    __global const float* pieces = weights + blur;
    barrier(CLK_GLOBAL_MEM_FENCE);
    for (int e = t; grid && e < C * pixels; e += WG) z[e] = y[e];
    barrier(CLK_GLOBAL_MEM_FENCE);
    for (int e = t; grid && e < C * pixels; e += WG) {
        const int c = e / pixels, oy = e % pixels / outW, ox = e % outW;
        const int row = oy / size, column = ox / size, piece = row * grid + column;
        y[e] = row < grid && column < grid
            ? z[(c * outH + (int)pieces[2 * piece] + oy % size) * outW + (int)pieces[2 * piece + 1] + ox % size]
            : 0.0f;
    }
}
