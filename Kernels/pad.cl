// Constant padding of the last three axes of x [N, C, H, W], and its gradient:
//   constant_pad: out [N, C + cb + ca, H + hb + ha, W + wb + wa] = x[n, c - cb, h - hb, w - wb] where that lies
//                 inside x, else `value` (cb, hb, wb: the channels, rows and columns added before x's)
//   crop:         dx [N, C, H, W] = dy[n, c + cb, h + hb, w + wb], the values of x's own places (padding has no
//                 gradient)
// Work decomposition: one work-item per element of the output (global: its element count), so consecutive items
// write consecutive addresses; each decodes its (n, c, h, w) and reads one value or none.

__kernel void constant_pad(__global const float* x, const int C, const int H, const int W, const int OC,
                           const int OH, const int OW, const int cb, const int hb, const int wb, const float value,
                           __global float* out) {
    const long index = get_global_id(0);
    const int w = index % OW - wb, h = index / OW % OH - hb, c = index / ((long)OW * OH) % OC - cb;
    const long n = index / ((long)OW * OH * OC);
    const bool inside = c >= 0 && c < C && h >= 0 && h < H && w >= 0 && w < W;
    out[index] = inside ? x[((n * C + c) * H + h) * W + w] : value;
}

__kernel void crop(__global const float* dy, const int C, const int H, const int W, const int OC, const int OH,
                   const int OW, const int cb, const int hb, const int wb, __global float* dx) {
    const long index = get_global_id(0);
    const int w = index % W, h = index / W % H, c = index / ((long)W * H) % C;
    const long n = index / ((long)W * H * C);
    dx[index] = dy[((n * OC + c + cb) * OH + h + hb) * OW + w + wb];
}
