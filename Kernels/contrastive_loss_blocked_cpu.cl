/*
 * contrastive_forward / contrastive_backward (CPU variant): the fused NT-Xent, DCL and DCLW losses,
 * never materialising the M x M similarity matrix. contrastive_finish (contrastive_loss_finish.cl) runs
 * between them.
 *
 * What it computes
 *   U is M x D, row-major: the L2-normalised rows u_i (M = 2N; row i's positive is p(i) = i +- N).
 *   s_ik = u_i . u_k / tau. Each row's log-sum-exp is taken around a shift c_i
 *   (Sources/Simile/Losses/LogitShift.swift says which): the launcher fills c with 1/tau where that
 *   is exact (tau >= 0.025), else contrastive_row_max sets c_i = max_k s_ik first. The forward and backward
 *   take only a row's negatives, k not i and not p(i) (s is -INFINITY elsewhere, so exp gives 0): NT-Xent's
 *   positive term is added apart by contrastive_finish, which keeps a tiny loss exact (see there).
 *   contrastive_row_max:  c_i = max over row i's denominator of s_ik: k not i and, when excl != 0 (DCL,
 *                         DCLW), not p(i), so that NT-Xent's positive term exp(s_ip - c_i) stays <= 1.
 *   contrastive_forward:  Z_i = sum over the negatives of exp(s_ik - c_i) and align_i = u_i . u_p(i).
 *   contrastive_backward: dU_i = (sum_k A_ik u_k - b_n u_p(i)) * scale over the negatives k, scale =
 *                         1 / (M tau), b_n the coefficient on the positives of image n = i mod N (from
 *                         contrastive_finish), with A = P + P^T: fixed != 0 (c = 1/tau in every row):
 *                         A_ik = exp(s_ik - 1/tau) (r_i + r_k) with r = 1/D, D the row's denominator;
 *                         else A_ik = exp(s_ik - r_i) + exp(s_ik - r_k) with r = lse = c + log D.
 *                         dz follows on the host side through the L2-normalisation backward.
 *
 * Memory layout
 *   U, dU: row-major M x D. Up: U packed by gemm_pack (Kernels/gemm_pack.cl) in zero-padded panels of NR
 *   rows, k-major: Up[q*D*NR + k*NR + j] = U[q*NR + j, k] for rows up to Mp = M rounded up to NR.
 *   A register block's MR rows lie inside one panel, so the same buffer serves both sides of U U^T:
 *   the row side reads MR floats at offset row % NR with stride NR.
 *   c, Z, align: M floats. r: Mp floats, zero past M (padded columns read it). b: N floats.
 *
 * Work decomposition
 *   every kernel: global size ceil(M / (MR*RB)), local size 1. Work-item p owns the MR*RB rows
 *   from p*MR*RB, as RB register blocks of MR rows, and walks every column block of NR columns. Per
 *   column block and register block it accumulates the MR x NR block of U U^T in MR * NR/VW float
 *   vectors over D (as gemm_blocked_cpu.cl), then scales and masks it in registers; the column block's
 *   panel of U is loaded once from L2/L3 and reused RB times from L1. The max pass keeps per-row vector
 *   maxima, the forward adds exp(s - c) to per-row vector sums; the backward spills A (MR x NR floats)
 *   to private memory and adds A . U[block]
 *   into its own rows of dU. Rows are exclusive to a work-item: no atomics, no barriers, no local
 *   memory. Only blocks that touch the diagonal, the positives or the padding take the masked path.
 *   Precision: the per-row sums add at most CHUNK column blocks in float vectors (each lane adds
 *   CHUNK * NR / VW terms), and the chunk totals are folded with Kahan compensation, so Z keeps
 *   float precision for M up to 16384 and beyond.
 *
 * Required -D parameters
 *   MR  rows of a register block
 *   NR  columns per block = packing panel, a multiple of VW and of MR * RB
 *   VW  float vector width: 4, 8 or 16
 *   RB  register blocks per work-item
 *   Tuned on PoCL/AVX-512: MR=8 NR=32 VW=16 (the GEMM's register block), RB=4 (a whole panel).
 */

#if !defined(MR) || !defined(NR) || !defined(VW) || !defined(RB)
#error "contrastive_loss_blocked_cpu.cl needs -D MR, NR, VW and RB"
#endif
#if NR % VW != 0 || NR % (MR * RB) != 0
#error "NR must be a multiple of VW and of MR * RB"
#endif

#define NV (NR / VW)
#define CHUNK 32 /* column blocks summed in float vectors before a compensated fold */

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define floatV CAT(float, VW)
#define intV CAT(int, VW)
#define vloadV CAT(vload, VW)
#define vstoreV CAT(vstore, VW)

#if VW == 4
#define LANES (intV)(0, 1, 2, 3)
#elif VW == 8
#define LANES (intV)(0, 1, 2, 3, 4, 5, 6, 7)
#else
#define LANES (intV)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
#endif

/* Whether the block at (row0, col0) holds a diagonal entry, an excluded positive (excl != 0) or padding columns.
 * A row block that straddles N has partners at both ends, so it is always masked. */
static bool needs_mask(int row0, int col0, int M, int N, int excl) {
    const bool diagonal = col0 < row0 + MR && row0 < col0 + NR;
    const int partner0 = row0 < N ? row0 + N : row0 - N;
    const bool positive = excl && ((col0 < partner0 + MR && partner0 < col0 + NR) || (row0 < N && row0 + MR > N));
    return diagonal || positive || col0 + NR > M;
}

/* The MR x NR block of logits s for rows row0.. and columns col0.., -INFINITY on the diagonal, on the positives
 * when excl != 0, and on the padding. */
static inline __attribute__((always_inline))
void block_logits(floatV S[MR][NV], const __global float* a, const __global float* Up, int D, int row0, int col0,
               int M, int N, int excl, float invTau) {
    const __global float* b = Up + (size_t)col0 * D;
    #pragma unroll
    for (int i = 0; i < MR; ++i) {
        #pragma unroll
        for (int v = 0; v < NV; ++v) S[i][v] = (floatV)(0.0f);
    }
    for (int k = 0; k < D; ++k) {
        floatV bv[NV];
        #pragma unroll
        for (int v = 0; v < NV; ++v) bv[v] = vloadV(v, b);
        #pragma unroll
        for (int i = 0; i < MR; ++i) {
            const floatV ai = (floatV)(a[i]);
            #pragma unroll
            for (int v = 0; v < NV; ++v) S[i][v] = fma(ai, bv[v], S[i][v]);
        }
        a += NR;
        b += NR;
    }
    #pragma unroll
    for (int i = 0; i < MR; ++i) {
        #pragma unroll
        for (int v = 0; v < NV; ++v) S[i][v] *= invTau;
    }
    if (!needs_mask(row0, col0, M, N, excl)) return;
    #pragma unroll
    for (int i = 0; i < MR; ++i) {
        const int row = row0 + i;
        const int partner = row < N ? row + N : row - N;
        #pragma unroll
        for (int v = 0; v < NV; ++v) {
            const intV col = (intV)(col0 + v * VW) + LANES;
            const intV masked = (col == (intV)(row)) | (col >= (intV)(M)) | ((intV)(excl) != (intV)(0) & col == (intV)(partner));
            S[i][v] = select(S[i][v], (floatV)(-INFINITY), masked);
        }
    }
}

static float dot_rows(const __global float* x, const __global float* y, int D) {
    float sum = 0.0f;
    for (int c = 0; c < D; ++c) sum = fma(x[c], y[c], sum);
    return sum;
}

/* The max pass (maxPass) or the forward's sums, over every column block for the rows this work-item owns;
 * inlined into both kernels, so each is compiled for one of the two. */
static inline __attribute__((always_inline))
void reduce_rows(__global const float* Up, __global const float* U, int M, int D, int excl, float invTau,
                 __global float* c, __global float* Z, __global float* align, const bool maxPass) {
    const int row0 = get_global_id(0) * MR * RB;
    const int N = M / 2;
    const int subBlocks = min(RB, (M - row0 + MR - 1) / MR);
    const __global float* a0 = Up + (size_t)(row0 / NR) * D * NR + row0 % NR;
    floatV total[RB][MR], compensation[RB][MR], chunk[RB][MR], shift[RB][MR];
    for (int r = 0; r < RB; ++r) {
        #pragma unroll
        for (int i = 0; i < MR; ++i) {
            total[r][i] = compensation[r][i] = chunk[r][i] = (floatV)(maxPass ? -INFINITY : 0.0f);
            shift[r][i] = (floatV)(maxPass || row0 + r * MR + i >= M ? 0.0f : c[row0 + r * MR + i]);
        }
    }

    const int blocks = (M + NR - 1) / NR;
    for (int q = 0; q < blocks; ++q) {
        const int col0 = q * NR;
        for (int r = 0; r < subBlocks; ++r) {
            floatV S[MR][NV];
            block_logits(S, a0 + r * MR, Up, D, row0 + r * MR, col0, M, N, excl, invTau);
            #pragma unroll
            for (int i = 0; i < MR; ++i) {
                #pragma unroll
                for (int v = 0; v < NV; ++v) {
                    if (maxPass) total[r][i] = fmax(total[r][i], S[i][v]);
                    else chunk[r][i] += exp(S[i][v] - shift[r][i]);
                }
            }
        }
        if (!maxPass && ((q + 1) % CHUNK == 0 || q + 1 == blocks)) {
            for (int r = 0; r < subBlocks; ++r) {
                #pragma unroll
                for (int i = 0; i < MR; ++i) {
                    const floatV y = chunk[r][i] - compensation[r][i];
                    const floatV t = total[r][i] + y;
                    compensation[r][i] = (t - total[r][i]) - y;
                    total[r][i] = t;
                    chunk[r][i] = (floatV)(0.0f);
                }
            }
        }
    }

    for (int i = 0; i < MR * RB && row0 + i < M; ++i) {
        float lanes[VW];
        vstoreV(total[i / MR][i % MR], 0, lanes);
        float result = lanes[0];
        for (int l = 1; l < VW; ++l) result = maxPass ? fmax(result, lanes[l]) : result + lanes[l];
        const int row = row0 + i;
        if (maxPass) {
            c[row] = result;
            continue;
        }
        Z[row] = result;
        align[row] = dot_rows(U + (size_t)row * D, U + (size_t)(row < N ? row + N : row - N) * D, D);
    }
}

__kernel void contrastive_row_max(__global const float* Up, const int M, const int D, const int excl,
                                  const float invTau, __global float* c) {
    reduce_rows(Up, 0, M, D, excl, invTau, c, 0, 0, true);
}

__kernel void contrastive_forward(__global const float* Up, __global const float* U, const int M, const int D,
                                  const float invTau, __global const float* c, __global float* Z,
                                  __global float* align) {
    reduce_rows(Up, U, M, D, 1, invTau, (__global float*)c, Z, align, false);
}

/* out[i, c ..] += sum_j A[i][j] * block[j, c ..] for the first `rows` rows of out and `cols` rows of block,
 * over `width` (1 or 2) float vectors of columns: MR * width accumulators, each broadcast of A feeding
 * `width` fused multiply-adds. */
static inline __attribute__((always_inline))
void add_block_product(__global float* out, const __global float* block, float A[MR][NR], int c, int rows,
                       int cols, int D, const int width) {
    floatV acc[MR][2];
    #pragma unroll
    for (int i = 0; i < MR; ++i) {
        #pragma unroll
        for (int w = 0; w < width; ++w) {
            acc[i][w] = i < rows ? vloadV(0, out + (size_t)i * D + c + w * VW) : (floatV)(0.0f);
        }
    }
    for (int j = 0; j < cols; ++j) {
        floatV uk[2];
        #pragma unroll
        for (int w = 0; w < width; ++w) uk[w] = vloadV(0, block + (size_t)j * D + c + w * VW);
        #pragma unroll
        for (int i = 0; i < MR; ++i) {
            const floatV a = (floatV)(A[i][j]);
            #pragma unroll
            for (int w = 0; w < width; ++w) acc[i][w] = fma(a, uk[w], acc[i][w]);
        }
    }
    #pragma unroll
    for (int i = 0; i < MR; ++i) {
        if (i < rows) {
            #pragma unroll
            for (int w = 0; w < width; ++w) vstoreV(acc[i][w], 0, out + (size_t)i * D + c + w * VW);
        }
    }
}

__kernel void contrastive_backward(__global const float* Up, __global const float* U, const int M, const int D,
                                   const float invTau, const int fixed, __global const float* r,
                                   __global const float* b, const float scale, __global float* dU) {
    const int row0 = get_global_id(0) * MR * RB;
    const int N = M / 2;
    const int rows = min(MR * RB, M - row0);
    const __global float* a0 = Up + (size_t)(row0 / NR) * D * NR + row0 % NR;
    for (int i = 0; i < rows; ++i) {
        for (int c = 0; c < D; ++c) dU[(size_t)(row0 + i) * D + c] = 0.0f;
    }

    const int blocks = (M + NR - 1) / NR;
    for (int q = 0; q < blocks; ++q) {
        const int col0 = q * NR;
        const int cols = min(NR, M - col0);
        const __global float* block = U + (size_t)col0 * D;
        for (int sub0 = 0; sub0 < rows; sub0 += MR) {
            const int subRow0 = row0 + sub0, subRows = min(MR, rows - sub0);
            __global float* out = dU + (size_t)subRow0 * D;
            floatV S[MR][NV];
            block_logits(S, a0 + sub0, Up, D, subRow0, col0, M, N, 1, invTau);
            float A[MR][NR];
            #pragma unroll
            for (int i = 0; i < MR; ++i) {
                const floatV rowCoefficient = (floatV)(i < subRows ? r[subRow0 + i] : 0.0f);
                #pragma unroll
                for (int v = 0; v < NV; ++v) {
                    const floatV columnCoefficient = vloadV(v, r + col0);
                    vstoreV(fixed ? exp(S[i][v] - invTau) * (rowCoefficient + columnCoefficient)
                                  : exp(S[i][v] - rowCoefficient) + exp(S[i][v] - columnCoefficient), v, A[i]);
                }
            }
            int c = 0;
            for (; c + 2 * VW <= D; c += 2 * VW) add_block_product(out, block, A, c, subRows, cols, D, 2);
            if (c + VW <= D) {
                add_block_product(out, block, A, c, subRows, cols, D, 1);
                c += VW;
            }
            for (; c < D; ++c) {
                for (int i = 0; i < subRows; ++i) {
                    float sum = out[(size_t)i * D + c];
                    for (int j = 0; j < cols; ++j) sum = fma(A[i][j], block[(size_t)j * D + c], sum);
                    out[(size_t)i * D + c] = sum;
                }
            }
        }
    }

    for (int i = 0; i < rows; ++i) {
        const int row = row0 + i;
        const float coefficient = b[row % N];
        const __global float* partner = U + (size_t)(row < N ? row + N : row - N) * D;
        __global float* out = dU + (size_t)row * D;
        for (int c = 0; c < D; ++c) out[c] = (out[c] - coefficient * partner[c]) * scale;
    }
}
