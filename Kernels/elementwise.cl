// Elementwise arithmetic and ReLU on float32 arrays.
//
// Layout: any shape, row-major and contiguous; a kernel only sees the flat element count n.
// Work decomposition: one work-item per element. The launcher rounds the global size up to a
// multiple of the work-group size, so every kernel guards with `i < n`.

__kernel void add(__global const float* a, __global const float* b, __global float* out, const int n) {
    const int i = get_global_id(0);
    if (i < n) out[i] = a[i] + b[i];
}

__kernel void sub(__global const float* a, __global const float* b, __global float* out, const int n) {
    const int i = get_global_id(0);
    if (i < n) out[i] = a[i] - b[i];
}

__kernel void mul(__global const float* a, __global const float* b, __global float* out, const int n) {
    const int i = get_global_id(0);
    if (i < n) out[i] = a[i] * b[i];
}

// out = alpha * x
__kernel void scale(__global const float* x, const float alpha, __global float* out, const int n) {
    const int i = get_global_id(0);
    if (i < n) out[i] = alpha * x[i];
}

// y += alpha * x, in place
__kernel void axpy(const float alpha, __global const float* x, __global float* y, const int n) {
    const int i = get_global_id(0);
    if (i < n) y[i] = fma(alpha, x[i], y[i]);
}

// y = a * y + b * x, in place (x may be y): scaleAdd, and lerp's EMA step with a = m, b = 1 - m
__kernel void scale_add(__global float* y, const float a, __global const float* x, const float b, const int n) {
    const int i = get_global_id(0);
    if (i < n) y[i] = fma(a, y[i], b * x[i]);
}

// out = max(x, 0); NaN propagates, as in PyTorch (fmax would turn it into 0)
__kernel void relu_forward(__global const float* x, __global float* out, const int n) {
    const int i = get_global_id(0);
    if (i < n) out[i] = x[i] < 0.0f ? 0.0f : x[i];
}

// dx = dy where x > 0, else 0 (the subgradient at 0 is 0, as in PyTorch)
__kernel void relu_backward(__global const float* x, __global const float* dy, __global float* dx, const int n) {
    const int i = get_global_id(0);
    if (i < n) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}

// out[r, c] = row[c] for a row-major matrix of n elements and `cols` columns: a bias row repeated
// down the matrix, which a GEMM with beta = 1 then adds to
__kernel void broadcast_row(__global const float* row, __global float* out, const int cols, const int n) {
    const int i = get_global_id(0);
    if (i < n) out[i] = row[i % cols];
}
