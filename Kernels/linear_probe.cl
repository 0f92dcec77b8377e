// The linear probe's device pieces: feature standardisation and the softmax cross-entropy of its logits.
//
// Layout: row-major matrices; labels are class indices stored as floats (exact below 2^24).
// The launcher rounds each global size up to a multiple of the work-group size, so every kernel guards its index.

// Per-feature mean and inverse standard deviation of x [rows, cols] (population variance, as scikit-learn's
// StandardScaler). One work-item per column walks its rows once, adjacent work-items reading adjacent floats.
// Sums are taken around the column's first value K (the shifted-data algorithm): mean = K + S1/n and
// var = S2/n - (S1/n)^2 with S1 = sum(x - K), S2 = sum((x - K)^2), so a constant column gives var = 0 exactly;
// its inverse deviation is then 1 (StandardScaler's rule), which maps the column to 0.
__kernel void column_moments(__global const float* x, const int rows, const int cols,
                             __global float* mean, __global float* inv_std) {
    const int c = get_global_id(0);
    if (c >= cols) return;
    const float shift = x[c];
    float s1 = 0.0f, s2 = 0.0f;
    for (long r = 0; r < rows; r++) {
        const float centred = x[r * cols + c] - shift;
        s1 += centred;
        s2 = fma(centred, centred, s2);
    }
    const float m = s1 / rows;
    const float variance = fmax(s2 / rows - m * m, 0.0f);
    mean[c] = shift + m;
    inv_std[c] = variance > 0.0f ? rsqrt(variance) : 1.0f;
}

// y = (x - mean[col]) * inv_std[col] over x [count / cols, cols]; one work-item per element.
__kernel void standardize(__global const float* x, __global const float* mean, __global const float* inv_std,
                          const int cols, const int count, __global float* y) {
    const int i = get_global_id(0);
    if (i >= count) return;
    const int c = i % cols;
    y[i] = (x[i] - mean[c]) * inv_std[c];
}

// Softmax cross-entropy of logits z [rows, classes] against labels: one work-item per row.
//   loss[r] = lse(z_r) - z_r[label_r],  lse(z_r) = m + log(sum_c exp(z_rc - m)),  m = max_c z_rc
//   grad[r, c] = scale * (exp(z_rc - lse(z_r)) - [c == label_r])   (scale = 1/N for the mean loss)
__kernel void softmax_cross_entropy(__global const float* z, __global const float* labels, const int rows,
                                    const int classes, const float scale, __global float* loss,
                                    __global float* grad) {
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const float* zr = z + (long)r * classes;
    __global float* gr = grad + (long)r * classes;
    const int label = (int)labels[r];
    float m = zr[0];
    for (int c = 1; c < classes; c++) m = fmax(m, zr[c]);
    float total = 0.0f;
    for (int c = 0; c < classes; c++) total += exp(zr[c] - m);
    const float lse = m + log(total);
    loss[r] = lse - zr[label];
    for (int c = 0; c < classes; c++) gr[c] = scale * (exp(zr[c] - lse) - (c == label ? 1.0f : 0.0f));
}
