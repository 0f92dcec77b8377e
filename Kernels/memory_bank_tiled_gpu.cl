/*
 * memory_bank (GPU variant): the fused InfoNCE sweep and nearest-neighbour
 * search of N unit query rows against a bank of K rows, with bank tiles
 * staged in local memory. Computes exactly what memory_bank_blocked_cpu.cl
 * does (see there): the running shift M[i], Z[i] = sum_j E_ij and
 * G_i = sum_j E_ij inv[j] b_j with E_ij = exp(s_ij - M[i]) for InfoNCE,
 * best[i] = max_j c_ij and its lowest index (a float, as there) for the
 * search. The N x K similarity matrix is never stored.
 *
 * Memory layout
 *   Qp: q^ packed by gemm_pack as one panel of W rows (W = global size, N
 *       rounded up to WG), feature-major: Qp[c*W + i] = q^[i, c], so the
 *       work-items of a group read consecutive addresses (coalesced).
 *   B:  the bank, row-major K x d, read directly (no copy).
 *   Gp: G in the layout of Qp (written completely); Z, M, best, index: [W]
 *   (M initialised by infonce_positive before the first launch).
 *
 * Work decomposition
 *   global size = W, local size = WG. Each launch sweeps the bank rows
 *   begin .. end-1, carrying the state in Z, M, G, best, index as the CPU
 *   variant does. Work-item i owns query row i and walks the chunk in blocks
 *   of TB rows (no atomics): the group stages each
 *   block in local memory TB x DC features at a time, every work-item reads
 *   the same tile element at once (a broadcast), keeps the TB dot products
 *   of its row in registers, turns them into E (or the running max), and
 *   for InfoNCE restages the block to add E B_block into its column of Gp.
 *   InfoNCE's rescale by f = exp(M_old - M_new) (1 unless the block's
 *   largest logit exceeded M + slack) is folded into that pass, one multiply
 *   per TB FMAs, rather than a branch that would diverge within a group.
 *
 * Required -D parameters
 *   WG work-group size; TB bank rows per block; DC features per staged tile.
 *   Not tuned on a GPU (none was available): WG=64 TB=32 DC=32 are the usual
 *   starting point (8 KiB of local memory).
 */

#if !defined(WG) || !defined(TB) || !defined(DC)
#error "memory_bank_tiled_gpu.cl needs -D WG, TB and DC"
#endif

/* Stages bank rows j0.. j0+TB-1, features c0.. c0+DC-1 in tile (zeros past row end-1). */
void stage(__local float tile[TB][DC], __global const float* B, const int j0, const int c0,
           const int end, const int d)
{
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int e = get_local_id(0); e < TB * DC; e += WG) {
        const int j = e / DC, c = e % DC;
        tile[j][c] = (j0 + j < end && c0 + c < d) ? B[(size_t)(j0 + j) * d + c0 + c] : 0.0f;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
}

/* acc[j] = q^_i . b_(j0+j) for the block at j0. */
void block_dots(float acc[TB], __local float tile[TB][DC], __global const float* Qp,
                __global const float* B, const int j0, const int end, const int d)
{
    const size_t i = get_global_id(0), W = get_global_size(0);
    #pragma unroll
    for (int j = 0; j < TB; ++j) acc[j] = 0.0f;
    for (int c0 = 0; c0 < d; c0 += DC) {
        stage(tile, B, j0, c0, end, d);
        const int width = min(DC, d - c0);
        for (int c = 0; c < width; ++c) {
            const float qc = Qp[(c0 + c) * W + i];
            #pragma unroll
            for (int j = 0; j < TB; ++j) acc[j] = fma(qc, tile[j][c], acc[j]);
        }
    }
}

__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void infonce_blocks(__global const float* Qp, __global const float* B,
                    __global const float* inv, const int begin, const int end, const int d,
                    const float invT, const float slack, __global float* Gp, __global float* Z,
                    __global float* M)
{
    __local float tile[TB][DC];
    const size_t i = get_global_id(0), W = get_global_size(0);
    if (begin == 0) {
        for (int c = 0; c < d; ++c) Gp[c * W + i] = 0.0f;
    }
    float z = begin == 0 ? 0.0f : Z[i], m = M[i];
    for (int j0 = begin; j0 < end; j0 += TB) {
        float acc[TB];
        block_dots(acc, tile, Qp, B, j0, end, d);
        float top = m;
        #pragma unroll
        for (int j = 0; j < TB; ++j) {
            acc[j] = j0 + j < end ? acc[j] * inv[min(j0 + j, end - 1)] * invT : -INFINITY;
            top = fmax(top, acc[j]);
        }
        const int rise = top > m + slack;
        const float factor = rise ? exp(m - top) : 1.0f;
        z *= factor;
        m = rise ? top : m;
        #pragma unroll
        for (int j = 0; j < TB; ++j) {
            const float e = exp(acc[j] - m);
            z += e;
            acc[j] = e * inv[min(j0 + j, end - 1)];
        }
        for (int c0 = 0; c0 < d; c0 += DC) {
            stage(tile, B, j0, c0, end, d);
            const int width = min(DC, d - c0);
            for (int c = 0; c < width; ++c) {
                float g = Gp[(c0 + c) * W + i] * factor;
                #pragma unroll
                for (int j = 0; j < TB; ++j) g = fma(acc[j], tile[j][c], g);
                Gp[(c0 + c) * W + i] = g;
            }
        }
    }
    Z[i] = z;
    M[i] = m;
}

__kernel __attribute__((reqd_work_group_size(WG, 1, 1)))
void nearest_blocks(__global const float* Qp, __global const float* B,
                    __global const float* inv, const int begin, const int end, const int d,
                    __global float* best, __global float* index)
{
    __local float tile[TB][DC];
    const size_t i = get_global_id(0);
    float top = begin == 0 ? -INFINITY : best[i];
    int at = begin == 0 ? 0 : (int)index[i];
    for (int j0 = begin; j0 < end; j0 += TB) {
        float acc[TB];
        block_dots(acc, tile, Qp, B, j0, end, d);
        #pragma unroll
        for (int j = 0; j < TB; ++j) {
            if (j0 + j < end && acc[j] * inv[j0 + j] > top) {
                top = acc[j] * inv[j0 + j];
                at = j0 + j;
            }
        }
    }
    best[i] = top;
    index[i] = (float)at;
}
