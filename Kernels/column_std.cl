// The unbiased standard deviation of each column of a row-major matrix y [N, d] over its N rows (torch.std(dim=0)):
//   std[k] = sqrt(sum_i (y[i, k] - m_k)^2 / (N - 1)),  m_k = sum_i y[i, k] / N.
// Two passes over the column (the mean, then the centred squares) rather than sum(y^2) - N m^2, which cancels
// to noise exactly where the collapse monitor that uses it must read zero.
//
// Work decomposition: one work-item per column k (global size d); neighbouring work-items read neighbouring
// columns of each row, so every row is read coalesced on GPUs and as vectors across work-items on CPU devices.

__kernel void column_std(__global const float* y, const int rows, const int cols, __global float* std) {
    const int k = get_global_id(0);
    if (k >= cols) return;
    float sum = 0.0f;
    for (int i = 0; i < rows; ++i) sum += y[(long)i * cols + k];
    const float mean = sum / rows;
    float squares = 0.0f;
    for (int i = 0; i < rows; ++i) {
        const float deviation = y[(long)i * cols + k] - mean;
        squares = fma(deviation, deviation, squares);
    }
    std[k] = sqrt(squares / (rows - 1));
}
