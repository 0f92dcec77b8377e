/*
 * contrastive_forward / contrastive_backward (GPU variant): the fused NT-Xent, DCL and DCLW losses on
 * local-memory tiles, never materialising the M x M similarity matrix.
 *
 * What it computes
 *   The same as the CPU variant (Kernels/contrastive_loss_blocked_cpu.cl): with U the M x D L2-normalised
 *   rows and s_ik = u_i . u_k / tau,
 *   row_max:  c_i = max_k s_ik over row i's denominator (k not i and, when excl != 0, not p(i)), only where
 *             the fixed shift c = 1/tau is not exact;
 *   forward:  Z_i = sum_k exp(s_ik - c_i) over the negatives (k not i, not p(i)) and align_i = u_i . u_p(i);
 *   backward: dU_i = (sum_k A_ik u_k - b_n u_p(i)) * scale over the negatives, n = i mod N, A_ik =
 *             exp(s_ik - 1/tau) (r_i + r_k) with r = 1/D when fixed != 0, else exp(s_ik - r_i) +
 *             exp(s_ik - r_k) with r = lse.
 *   contrastive_finish (Kernels/contrastive_loss_finish.cl) runs between them.
 *
 * Memory layout
 *   U, dU: row-major M x D. Up: U packed by gemm_pack in zero-padded panels of T rows, k-major, with depth
 *   Kp = D rounded up to TK: Up[q*Kp*T + k*T + j] = U[q*T + j, k]. Row tiles and column tiles are both T
 *   rows of U, so one packed copy serves both sides of U U^T. r: M rounded up to T floats, zero past M.
 *
 * Work decomposition
 *   local size = (T / W, T / W) work-items (tx, ty); global size = (T / W, ceil(M / T) * T / W).
 *   Work-group g owns the T rows g*T.. and walks every column tile of T columns. Per tile it stages the
 *   TK-deep slices of both panels in local memory (as gemm_tiled_gpu.cl) and each work-item accumulates
 *   a W x W register block of U U^T at rows ty + i*(T/W), columns tx + j*(T/W); the scale and the mask
 *   follow in registers.
 *   row_max: each work-item keeps per-row maxima, combined in local memory at the end.
 *   forward: each work-item adds exp(s - c) to per-row sums (folded every CHUNK tiles with Kahan compensation, so
 *   Z keeps float precision for M up to 16384 and beyond); at the end the T/W partial sums of a row are
 *   added in local memory.
 *   backward: the work-group writes A for the tile to local memory (T x T floats),
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

/* The W x W register block of logits for this work-item in the tile at rows row0.., columns col0..:
 * S[i][j] at row row0 + ty + i*THREADS, column col0 + tx + j*THREADS, -INFINITY on the diagonal, on the
 * positives when excl != 0, and on the padding. */
static void tile_logits(float S[W][W], const __global float* Up, int Kp, int row0, int col0, int M, int N, int excl,
                     float invTau, __local float* As, __local float* Bs) {
    const int tx = get_local_id(0), ty = get_local_id(1), tid = ty * THREADS + tx;
    const __global float* a = Up + (size_t)row0 * Kp;
    const __global float* b = Up + (size_t)col0 * Kp;
    for (int i = 0; i < W; ++i) {
        for (int j = 0; j < W; ++j) S[i][j] = 0.0f;
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
                for (int j = 0; j < W; ++j) S[i][j] = fma(ar[i], br[j], S[i][j]);
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
            S[i][j] = masked ? -INFINITY : S[i][j] * invTau;
        }
    }
}

/* The max pass (maxPass) or the forward's sums for the work-group's rows; inlined into both kernels, so
 * each is compiled for one of the two. */
static inline __attribute__((always_inline))
void reduce_rows(__global const float* Up, __global const float* U, int M, int D, int excl, float invTau,
                 __global float* c, __global float* Z, __global float* align, const bool maxPass,
                 __local float* As, __local float* Bs, __local float partial[T][THREADS]) {
    const int tx = get_local_id(0), ty = get_local_id(1);
    const int row0 = get_group_id(1) * T;
    const int N = M / 2, Kp = (D + TK - 1) / TK * TK;
    float total[W], compensation[W], chunk[W], shift[W];
    for (int i = 0; i < W; ++i) {
        const int row = row0 + ty + i * THREADS;
        total[i] = compensation[i] = chunk[i] = maxPass ? -INFINITY : 0.0f;
        shift[i] = maxPass || row >= M ? 0.0f : c[row];
    }

    const int tiles = (M + T - 1) / T;
    for (int q = 0; q < tiles; ++q) {
        float S[W][W];
        tile_logits(S, Up, Kp, row0, q * T, M, N, excl, invTau, As, Bs);
        for (int i = 0; i < W; ++i) {
            for (int j = 0; j < W; ++j) {
                if (maxPass) total[i] = fmax(total[i], S[i][j]);
                else chunk[i] += exp(S[i][j] - shift[i]);
            }
        }
        if (!maxPass && ((q + 1) % CHUNK == 0 || q + 1 == tiles)) {
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
        float result = partial[tid][0];
        for (int t = 1; t < THREADS; ++t) result = maxPass ? fmax(result, partial[tid][t]) : result + partial[tid][t];
        if (maxPass) {
            c[row] = result;
            return;
        }
        Z[row] = result;
        const __global float* x = U + (size_t)row * D;
        const __global float* y = U + (size_t)(row < N ? row + N : row - N) * D;
        float dot = 0.0f;
        for (int k = 0; k < D; ++k) dot = fma(x[k], y[k], dot);
        align[row] = dot;
    }
}

__kernel __attribute__((reqd_work_group_size(THREADS, THREADS, 1)))
void contrastive_row_max(__global const float* Up, const int M, const int D, const int excl, const float invTau,
                         __global float* c) {
    __local float As[TK * T], Bs[TK * T];
    __local float partial[T][THREADS];
    reduce_rows(Up, 0, M, D, excl, invTau, c, 0, 0, true, As, Bs, partial);
}

__kernel __attribute__((reqd_work_group_size(THREADS, THREADS, 1)))
void contrastive_forward(__global const float* Up, __global const float* U, const int M, const int D,
                         const float invTau, __global float* c, __global float* Z, __global float* align) {
    __local float As[TK * T], Bs[TK * T];
    __local float partial[T][THREADS];
    reduce_rows(Up, U, M, D, 1, invTau, c, Z, align, false, As, Bs, partial);
}

__kernel __attribute__((reqd_work_group_size(THREADS, THREADS, 1)))
void contrastive_backward(__global const float* Up, __global const float* U, const int M, const int D,
                          const float invTau, const int fixed, __global const float* r,
                          __global const float* b, const float scale, __global float* dU) {
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
        float S[W][W];
        tile_logits(S, Up, Kp, row0, col0, M, N, 1, invTau, As, Bs);
        for (int i = 0; i < W; ++i) {
            const int y = ty + i * THREADS;
            const float rowCoefficient = row0 + y < M ? r[row0 + y] : 0.0f;
            for (int j = 0; j < W; ++j) {
                const int x = tx + j * THREADS;
                const float columnCoefficient = r[col0 + x];
                A[y][x] = fixed ? exp(S[i][j] - invTau) * (rowCoefficient + columnCoefficient)
                                : exp(S[i][j] - rowCoefficient) + exp(S[i][j] - columnCoefficient);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        const int cols = min(T, M - col0);
        const __global float* tile = U + (size_t)col0 * D;
        for (int i = 0; i < W; ++i) {
            const int y = ty + i * THREADS;
            if (row0 + y >= M) continue;
            __global float* out = dU + (size_t)(row0 + y) * D;
            for (int c = tx; c < D; c += THREADS) {
                float sum = out[c];
                for (int j = 0; j < cols; ++j) sum = fma(A[y][j], tile[(size_t)j * D + c], sum);
                out[c] = sum;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }

    for (int i = 0; i < W; ++i) {
        const int row = row0 + ty + i * THREADS;
        if (row >= M) continue;
        const float coefficient = b[row % N];
        const __global float* partner = U + (size_t)(row < N ? row + N : row - N) * D;
        for (int c = tx; c < D; c += THREADS) {
            dU[(size_t)row * D + c] = (dU[(size_t)row * D + c] - coefficient * partner[c]) * scale;
        }
    }
}
