// 2-D pooling over float32 tensors in NCHW layout, row-major: element (n, c, h, w) of x [N, C, H, W] is
// x[((n * C + c) * H + h) * W + w]. A "plane" is one (n, c) slice of H * W elements; outputs [N, C, OH, OW]
// use the same layout. Windows are square (K x K), stride S, zero-or-minus-infinity padding P (PyTorch
// semantics, floor output size; the launcher guarantees every window holds at least one input element):
//
// max_pool2d_forward     y = the window maximum (padding is -inf; ties keep the first maximum in row-major
//                        window order; a NaN replaces the running maximum, as PyTorch's kernels do) and
//                        argmax = its index h * W + w within the input plane, stored as float.
// avg_pool2d_forward     y = the window sum / (K * K) (count_include_pad: padding counts as zeros).
// avg_pool2d_backward    dx(h, w) = sum over the windows containing (h, w) of dy / (K * K): a gather, each
//                        input element computes its own range of windows, so no two work-items write alike.
// max_pool2d_backward    dx += dy at each output's argmax, for dx zero-filled by the launcher. A work-item
//                        owns whole input planes and walks each plane's outputs in order: overlapping windows
//                        accumulate without atomics or races, and the sum order is fixed (deterministic).
//                        (The argmax alone does not say which windows contain an input element, so a per-
//                        element gather is not possible here.) Indices outside the plane are skipped.
// global_avg_pool_backward  dx(h, w) = dy(n, c) * scale with scale = 1 / (H * W).
//
// Work decomposition: every kernel splits its range of `total` items (output or input elements; planes for
// max_pool2d_backward) into runs of `run` consecutive items, one run per work-item, with no barriers or local
// memory. GPUs use run = 1 (one item per work-item, adjacent work-items touch adjacent memory, work-groups of
// 256); CPU devices use work-groups of 1 and about 16 long runs per compute unit, so each work-item's loop walks
// contiguous memory and the per-work-group cost of the runtime (PoCL) is paid a few dozen times, not per item.

// The run [first, last) of this work-item (computed so that neither bound overflows int near total = 2^31 - 1).
#define RUN_BEGIN                                             \
    if (get_global_id(0) * run >= (size_t)total) return;      \
    const int first = get_global_id(0) * run;                 \
    const int last = first + min(total - first, run);

// Advances the position (column, row, plane) of a row-major run by one element, without divisions.
#define STEP(column, row, plane, columns, rows) \
    (++column == columns ? (column = 0, ++row == rows ? (row = 0, ++plane) : 0) : 0)

__kernel void max_pool2d_forward(__global const float* x, const int height, const int width,
                                 const int out_height, const int out_width, const int window, const int stride,
                                 const int padding, __global float* y, __global float* argmax, const int total,
                                 const int run) {
    RUN_BEGIN
    int ow = first % out_width, oh = (first / out_width) % out_height, plane = first / (out_width * out_height);
    for (int o = first; o < last; ++o, STEP(ow, oh, plane, out_width, out_height)) {
        const int h0 = oh * stride - padding, w0 = ow * stride - padding;
        const int hBegin = max(h0, 0), hEnd = min(h0 + window, height);
        const int wBegin = max(w0, 0), wEnd = min(w0 + window, width);
        __global const float* xp = x + (long)plane * height * width;
        float best = -INFINITY;
        int index = hBegin * width + wBegin;
        for (int h = hBegin; h < hEnd; ++h) {
            for (int w = wBegin; w < wEnd; ++w) {
                const float value = xp[h * width + w];
                if (value > best || isnan(value)) {
                    best = value;
                    index = h * width + w;
                }
            }
        }
        y[o] = best;
        argmax[o] = (float)index;
    }
}

__kernel void avg_pool2d_forward(__global const float* x, const int height, const int width,
                                 const int out_height, const int out_width, const int window, const int stride,
                                 const int padding, __global float* y, const int total, const int run) {
    RUN_BEGIN
    const float scale = 1.0f / (window * window);
    int ow = first % out_width, oh = (first / out_width) % out_height, plane = first / (out_width * out_height);
    for (int o = first; o < last; ++o, STEP(ow, oh, plane, out_width, out_height)) {
        const int h0 = oh * stride - padding, w0 = ow * stride - padding;
        const int hEnd = min(h0 + window, height), wEnd = min(w0 + window, width);
        __global const float* xp = x + (long)plane * height * width;
        float sum = 0.0f;
        for (int h = max(h0, 0); h < hEnd; ++h) {
            for (int w = max(w0, 0); w < wEnd; ++w) sum += xp[h * width + w];
        }
        y[o] = sum * scale;
    }
}

// Output rows (or columns) whose windows contain input row i: [first_window, end_window).
int first_window(const int i, const int window, const int stride, const int padding) {
    return i + padding < window ? 0 : (i + padding - window) / stride + 1;
}

int end_window(const int i, const int stride, const int padding, const int out_size) {
    return min(out_size, (i + padding) / stride + 1);
}

__kernel void avg_pool2d_backward(__global const float* dy, const int height, const int width,
                                  const int out_height, const int out_width, const int window, const int stride,
                                  const int padding, __global float* dx, const int total, const int run) {
    RUN_BEGIN
    const float scale = 1.0f / (window * window);
    int w = first % width, h = (first / width) % height, plane = first / (width * height);
    for (int i = first; i < last; ++i, STEP(w, h, plane, width, height)) {
        __global const float* dyp = dy + (long)plane * out_height * out_width;
        const int owBegin = first_window(w, window, stride, padding), owEnd = end_window(w, stride, padding, out_width);
        const int ohEnd = end_window(h, stride, padding, out_height);
        float sum = 0.0f;
        for (int oh = first_window(h, window, stride, padding); oh < ohEnd; ++oh) {
            for (int ow = owBegin; ow < owEnd; ++ow) sum += dyp[oh * out_width + ow];
        }
        dx[i] = sum * scale;
    }
}

__kernel void max_pool2d_backward(__global const float* dy, __global const float* argmax, const int plane_size,
                                  const int out_plane_size, __global float* dx, const int total, const int run) {
    RUN_BEGIN
    for (int plane = first; plane < last; ++plane) {
        __global const float* dyp = dy + (long)plane * out_plane_size;
        __global const float* ap = argmax + (long)plane * out_plane_size;
        __global float* dxp = dx + (long)plane * plane_size;
        for (int o = 0; o < out_plane_size; ++o) {
            const float index = ap[o];
            if (index >= 0.0f && index < (float)plane_size) dxp[(int)index] += dyp[o];
        }
    }
}

__kernel void global_avg_pool_backward(__global const float* dy, const int plane_size, const float scale,
                                       __global float* dx, const int total, const int run) {
    RUN_BEGIN
    for (int i = first; i < last;) {
        const int plane = i / plane_size;
        const int end = min((long)last, (long)(plane + 1) * plane_size);
        const float value = dy[plane] * scale;
        for (; i < end; ++i) dx[i] = value;
    }
}
