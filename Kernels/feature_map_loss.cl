// The rows of AMDIM's feature-map contrastive loss (see featureMapContrastiveLoss): for source i, the B*L raw
// dot products S[i, j*L + l] = src_i . map_j[l] (a GEMM made them) become
//   s = S * k (k = 1/sqrt(d)),  c = tclip * tanh(s / tclip),
//   m = max of c over the negatives (j != i),  Z = sum over the negatives of exp(c - m),
//   loss_i = sum_l positive_loss(Z, m - p_l)          (p_l = c[i, i*L + l], the positive at location l)
//   row_i = weight * (loss_i / (B*L) + reg * sum_q s^2 / (B*B*L))
// and S's row is overwritten with dLoss/dS, for the GEMMs that take it to the sources and the maps:
//   dc = exp(c - m) * W, W = sum_l 1 / (e_l + Z), e_l = exp(p_l - m)      for negatives
//   dc = -Z / (Z + e)                                                      for the positive at its location
//   dS = weight * k * (dc / (B*L) * (1 - (c / tclip)^2) + reg * 2 * s / (B*B*L))
// The clipped scores go to C (row i of a [B, B*L] scratch) on the first pass, so tanh runs once per score; each
// item reads back only the columns it wrote itself (t, t + WG, ...), and the positives are clipped again from S.
//
// Work decomposition: one work-group of WG items per row (global B * WG, local WG: 256 on GPUs, 1 on CPU
// devices); item t takes columns t, t + WG, ... and the group folds its maxima and sums with group_max and
// group_sum. Four passes over the row: clip (with the maximum and the squares), the negatives' sum, the L
// positives, the gradient.

#include "group_sum.cl"
#include "positive_loss.cl"

__kernel void feature_map_loss_rows(__global float* S, __global float* C, const int B, const int L,
                                    const float k, const float tclip, const float reg, const float weight,
                                    __global float* row_loss) {
    __local float partial[WG];
    const int t = get_local_id(0);
    const int i = get_group_id(0);
    const long width = (long)B * L;
    __global float* s_row = S + i * width;
    __global float* c_row = C + i * width;
    const long own = (long)i * L;
    float largest = -INFINITY, squares = 0.0f;
    for (long q = t; q < width; q += WG) {
        const float s = s_row[q] * k;
        const float c = tclip * tanh(s / tclip);
        c_row[q] = c;
        squares = fma(s, s, squares);
        if (q < own || q >= own + L) largest = fmax(largest, c);
    }
    const float m = group_max(partial, largest, WG);
    squares = group_sum(partial, squares, WG);
    float negatives = 0.0f;
    for (long q = t; q < width; q += WG) {
        if (q < own || q >= own + L) negatives += exp(c_row[q] - m);
    }
    const float Z = group_sum(partial, negatives, WG);
    float loss = 0.0f, inverse_sum = 0.0f;
    for (int l = t; l < L; l += WG) {
        // Clipped again from the raw score, which no item has changed yet: another item clipped it into C, and the
        // barriers between the passes order local memory only.
        const float p = tclip * tanh(s_row[own + l] * k / tclip);
        loss += positive_loss(Z, m - p);
        inverse_sum += 1.0f / (exp(p - m) + Z);
    }
    loss = group_sum(partial, loss, WG);
    const float W = group_sum(partial, inverse_sum, WG);
    const float per_score = 1.0f / ((float)B * L), per_square = 2.0f * reg / ((float)B * B * L);
    for (long q = t; q < width; q += WG) {
        const float c = c_row[q];
        const float dc = q < own || q >= own + L ? exp(c - m) * W : -Z / (Z + exp(c - m));
        const float slope = 1.0f - (c / tclip) * (c / tclip);
        s_row[q] = weight * k * (dc * per_score * slope + per_square * s_row[q] * k);
    }
    if (t == 0) row_loss[i] = weight * (loss * per_score + 0.5f * per_square * squares);
}
