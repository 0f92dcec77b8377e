/*
 * contrastive_forward / contrastive_backward (GPU variant): the fused NT-Xent, DCL and DCLW losses on
 * local-memory tiles, never materialising the M x M similarity matrix.
 *
 * What it computes
 *   The same as the CPU variant (Kernels/contrastive_loss_blocked_cpu.cl): with U the M x D L2-normalised
 *   rows, E_ik = exp(u_i . u_k / tau - 1/tau) (0 outside row i's denominator),
 *   forward:  Z_i = sum_k E_ik and align_i = u_i . u_p(i);
 *   backward: dU_i = (sum_k E_ik (invZ_i + invZ_k) u_k - 2 w_i u_p(i)) * scale.
 *   contrastive_finish (Kernels/contrastive_loss_finish.cl) runs between them.
 *
 * Memory layout
 *   U, dU: row-major M x D. Up: U packed by gemm_pack in zero-padded panels of T rows, k-major, with depth
 *   Kp = D rounded up to TK: Up[q*Kp*T + k*T + j] = U[q*T + j, k]. Row tiles and column tiles are both T
 *   rows of U, so one packed copy serves both sides of U U^T. invZ: M rounded up to T floats, zero past M.
 *
 * Work decomposition
 *   local size = (T / W, T / W) work-items (tx, ty); global size = (T / W, ceil(M / T) * T / W).
 *   Work-group g owns the T rows g*T.. and walks every column tile of T columns. Per tile it stages the
 *   TK-deep slices of both panels in local memory (as gemm_tiled_gpu.cl) and each work-item accumulates
 *   a W x W register block of U U^T at rows ty + i*(T/W), columns tx + j*(T/W); exp and the mask follow
 *   in registers.
 *   forward: each work-item adds E to per-row sums (folded every CHUNK tiles with Kahan compensation, so
 *   Z keeps float precision for M up to 16384 and beyond); at the end the T/W partial sums of a row are
 *   added in local memory.
 *   backward: the work-group writes A = E (invZ_i + invZ_k) for the tile to local memory (T x T floats),
 *   then every work-item adds A . U[tile] into the dU elements it owns: rows ty + i*(T/W), columns
 *   tx, tx + T/W, ... (coalesced along a row). The same work-item owns the same elements for every
 *   tile, so there are no races and no atomics. Local memory: T*T + 2*TK*T floats (24 KiB for T = 64).
 *
 * Required -D parameters (defaults in brackets)
 *   T   rows and columns of a tile = packing panel, a multiple of 4 and of W [64]
 *   TK  depth of one local-memory stage [16]
 *   W   rows and columns of a work-item's register block [4]
 */

#if !defined(T) || !defined(TK) || !defined(W)
#error "contrastive_loss_tiled_gpu.cl needs -D T, TK and W"
#endif
#if T % W != 0 || T % 4 != 0
#error "T must be a multiple of 4 and of W"
#endif

#define THREADS (T / W)                  /* work-items along each side of the group */
#define CHUNK 32                         /* column tiles summed in float before a compensated fold */

/* The W x W register block of E for this work-item in the tile at rows row0.., columns col0..:
 * E[i][j] at row row0 + ty + i*THREADS, column col0 + tx + j*THREADS. */
static void tile_exp(float E[W][W], const __global float* Up, int Kp, int row0, int col0, int M, int N, int excl,
                     float invTau, __local float* As, __local float* Bs) {
    const int tx = get_local_id(0), ty = get_local_id(1), tid = ty * THREADS + tx;
    const __global float* a = Up + (size_t)row0 * Kp;
    const __global float* b = Up + (size_t)col0 * Kp;
    for (int i = 0; i < W; ++i) {
        for (int j = 0; j < W; ++j) E[i][j] = 0.0f;
    }
    for (int k0 = 0; k0 < Kp; k0 += TK) {
        for (int e = tid; e < TK * T / 4; e += THREADS * THREADS) {
            vstore4(vload4(e, a), e, As);
            vstore4(vload4(e, b), e, Bs);
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int k = 0; k < TK; ++k) {
            float ar[W], br[W];
            for (int i = 0; i < W; ++i) ar[i] = As[k * T + ty + i * THREADS];
            for (int j = 0; j < W; ++j) br[j] = Bs[k * T + tx + j * THREADS];
            for (int i = 0; i < W; ++i) {
                for (int j = 0; j < W; ++j) E[i][j] = fma(ar[i], br[j], E[i][j]);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        a += TK * T;
        b += TK * T;
    }
    for (int i = 0; i < W; ++i) {
        const int row = row0 + ty + i * THREADS;
        const int partner = row < N ? row + N : row - N;
        for (int j = 0; j < W; ++j) {
            const int col = col0 + tx + j * THREADS;
            const bool masked = col == row || col >= M || (excl && col == partner);
            E[i][j] = masked ? 0.0f : exp(fma(E[i][j], invTau, -invTau));
        }
    }
}

__kernel __attribute__((reqd_work_group_size(THREADS, THREADS, 1)))
void contrastive_forward(__global const float* Up, __global const float* U, const int M, const int D,
                         const int excl, const float invTau, __global float* Z, __global float* align) {
    __local float As[TK * T], Bs[TK * T];
    __local float partial[T][THREADS];
    const int tx = get_local_id(0), ty = get_local_id(1);
    const int row0 = get_group_id(1) * T;
    const int N = M / 2, Kp = (D + TK - 1) / TK * TK;
    float total[W], compensation[W], chunk[W];
    for (int i = 0; i < W; ++i) total[i] = compensation[i] = chunk[i] = 0.0f;

    const int tiles = (M + T - 1) / T;
    for (int q = 0; q < tiles; ++q) {
        float E[W][W];
        tile_exp(E, Up, Kp, row0, q * T, M, N, excl, invTau, As, Bs);
        for (int i = 0; i < W; ++i) {
            for (int j = 0; j < W; ++j) chunk[i] += E[i][j];
        }
        if ((q + 1) % CHUNK == 0 || q + 1 == tiles) {
            for (int i = 0; i < W; ++i) {
                const float y = chunk[i] - compensation[i];
                const float t = total[i] + y;
                compensation[i] = (t - total[i]) - y;
                total[i] = t;
                chunk[i] = 0.0f;
            }
        }
    }

    for (int i = 0; i < W; ++i) partial[ty + i * THREADS][tx] = total[i];
    barrier(CLK_LOCAL_MEM_FENCE);
    const int tid = ty * THREADS + tx;
    if (tid < T && row0 + tid < M) {
        const int row = row0 + tid;
        float sum = 0.0f;
        for (int t = 0; t < THREADS; ++t) sum += partial[tid][t];
        Z[row] = sum;
        const __global float* x = U + (size_t)row * D;
        const __global float* y = U + (size_t)(row < N ? row + N : row - N) * D;
        float dot = 0.0f;
        for (int c = 0; c < D; ++c) dot = fma(x[c], y[c], dot);
        align[row] = dot;
    }
}

__kernel __attribute__((reqd_work_group_size(THREADS, THREADS, 1)))
void contrastive_backward(__global const float* Up, __global const float* U, const int M, const int D,
                          const int excl, const float invTau, __global const float* invZ,
                          __global const float* w, const float scale, __global float* dU) {
    __local float As[TK * T], Bs[TK * T];
    __local float A[T][T];
    const int tx = get_local_id(0), ty = get_local_id(1);
    const int row0 = get_group_id(1) * T;
    const int N = M / 2, Kp = (D + TK - 1) / TK * TK;
    for (int i = 0; i < W; ++i) {
        const int row = row0 + ty + i * THREADS;
        if (row < M) {
            for (int c = tx; c < D; c += THREADS) dU[(size_t)row * D + c] = 0.0f;
        }
    }

    const int tiles = (M + T - 1) / T;
    for (int q = 0; q < tiles; ++q) {
        const int col0 = q * T;
        float E[W][W];
        tile_exp(E, Up, Kp, row0, col0, M, N, excl, invTau, As, Bs);
        for (int i = 0; i < W; ++i) {
            const int r = ty + i * THREADS;
            const float rowInverse = row0 + r < M ? invZ[row0 + r] : 0.0f;
            for (int j = 0; j < W; ++j) {
                const int c = tx + j * THREADS;
                A[r][c] = E[i][j] * (rowInverse + invZ[col0 + c]);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        const int cols = min(T, M - col0);
        const __global float* tile = U + (size_t)col0 * D;
        for (int i = 0; i < W; ++i) {
            const int r = ty + i * THREADS;
            if (row0 + r >= M) continue;
            __global float* out = dU + (size_t)(row0 + r) * D;
            for (int c = tx; c < D; c += THREADS) {
                float sum = out[c];
                for (int j = 0; j < cols; ++j) sum = fma(A[r][j], tile[(size_t)j * D + c], sum);
                out[c] = sum;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    for (int i = 0; i < W; ++i) {
        const int row = row0 + ty + i * THREADS;
        if (row >= M) continue;
        const float weight = 2.0f * w[row % N];
        const __global float* partner = U + (size_t)(row < N ? row + N : row - N) * D;
        for (int c = tx; c < D; c += THREADS) {
            dU[(size_t)row * D + c] = (dU[(size_t)row * D + c] - weight * partner[c]) * scale;
        }
    }
}
