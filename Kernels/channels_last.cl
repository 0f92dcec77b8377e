// Moves the values of a batch of maps between layouts. The channels, between the two layouts of a map:
//   channels_last:  x [N, C, S] (NCHW, S = H*W)  ->  rows [N*S, C]: rows[n*S + s, c] = x[n, c, s]
//   channels_first: rows [N*S, C]                 ->  x [N, C, S]:   the inverse (and each one's gradient)
// so that every location of a feature map becomes a vector a GEMM can compare (AMDIM's and CPC's scores).
//
// Work decomposition: one work-item per element, indexed by its place in the output, so that consecutive items
// write consecutive addresses; reads are strided by S (channels_last) or C (channels_first).

__kernel void channels_last(__global const float* x, const int c, const int s, __global float* rows) {
    const long index = get_global_id(0);
    const long location = index / c;
    const int channel = index % c;
    const long n = location / s;
    rows[index] = x[(n * c + channel) * s + location % s];
}

__kernel void channels_first(__global const float* rows, const int c, const int s, __global float* x) {
    const long index = get_global_id(0);
    const int position = index % s;
    const long plane = index / s;
    x[index] = rows[((plane / c) * s + position) * c + plane % c];
}

// One location per map, and its gradient (AMDIM's source vector drawn from a map):
//   pick_locations:  out [N, C] = x[n, c, at[n]]                     (global N*C)
//   place_locations: x [N, C, S] = v[n, c] at s = at[n], 0 elsewhere  (global N*C*S)
// `at` holds the locations as exact float32 integers (RowIndices).

__kernel void pick_locations(__global const float* x, __global const float* at, const int c, const int s,
                             __global float* out) {
    const long index = get_global_id(0);
    out[index] = x[index * s + (int)at[index / c]];
}

__kernel void place_locations(__global const float* v, __global const float* at, const int c, const int s,
                              __global float* x) {
    const long index = get_global_id(0);
    const long plane = index / s;
    x[index] = index % s == (long)at[plane / c] ? v[plane] : 0.0f;
}
