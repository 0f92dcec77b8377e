/*
 * memory_bank (CPU variant): the fused InfoNCE sweep and nearest-neighbour
 * search of N unit query rows against a bank of K rows, register-blocked
 * like gemm_blocked_cpu.cl. The N x K similarity matrix is never stored.
 *
 * What it computes
 *   With q^ the unit queries, b_j the raw bank rows and inv[j] = 1/||b_j||
 *   (memory_bank.cl), the cosine is c_ij = (q^_i . b_j) inv[j].
 *   infonce_blocks: for each query row i, with s_ij = c_ij/tau
 *     M[i], a running shift: it starts at the positive logit s+_i
 *     (infonce_positive in memory_bank.cl) and stays within `slack` below
 *     the largest logit seen, max(s+_i, max_j s_ij) - slack <= M[i] <= that,
 *     Z[i] = sum_j E_ij and G_i = sum_j E_ij inv[j] b_j,  E_ij = exp(s_ij - M[i]),
 *     an online log-sum-exp (as in streaming softmax) with lazy rescaling:
 *     only when a block's largest logit m' exceeds M[i] + slack does M[i]
 *     rise from m to m', Z[i] and G_i being multiplied by exp(m - m')
 *     before the block's terms are added. So every E_ij <= e^slack (slack =
 *     40 keeps Z, G and E inv finite for any K < 2^31) and the largest term
 *     never underflows: exact for every tau >= 1e-30, where a fixed shift by
 *     1/tau underflows once every s_ij of a row lies ~87 below 1/tau. Logits
 *     span at most 2/tau, so for tau >= 2/slack = 0.05 M never rises and the
 *     running shift costs a compare per logit: no fixed-shift fast path.
 *     G is accumulated in the same sweep (the softmax's 1/Z is applied
 *     afterwards by infonce_finish).
 *   nearest_blocks: for each query row i, best[i] = max_j c_ij and index[i]
 *     = the lowest j attaining it, stored as a float (exact below 2^24, the
 *     row numbers' coding that gather_rows in bank_rows.cl reads).
 *
 * Memory layout
 *   Qp: q^ packed by gemm_pack into panels of MR rows, feature-major inside
 *       a panel: Qp[p*d*MR + c*MR + r] = q^[p*MR + r, c] (zero-padded rows).
 *   B:  the bank, row-major K x d, read directly (no copy).
 *   Gp: G in the layout of Qp (written completely; no initialisation needed).
 *   Z, M, best, index: one entry per padded query row (M initialised by
 *   infonce_positive before the first launch).
 *   Each launch sweeps the bank rows begin .. end-1 (a chunk small enough to
 *   stay in cache while every work-item reads it); the launcher walks the
 *   chunks in order. The launch with begin == 0 initialises the outputs, the
 *   later ones read them back and continue (Z, M, G, best, index carry the state).
 *
 * Work decomposition
 *   global size = ceil(N / MR), local size = 1. Work-item p owns the MR query
 *   rows of panel p (MR / VW vectors, rows in the vector lanes) and walks the
 *   bank chunk in blocks of NB rows, so no two work-items write the same
 *   output and no atomics are needed. Per block:
 *     1. S = q^_p B_blockT as NB x (MR/VW) vector accumulators: per feature c,
 *        MR/VW vector loads of Qp and NB scalar broadcasts of b_j[c] (the NB
 *        bank rows stay in L1 across the feature loop);
 *     2. InfoNCE: S = (S inv)/tau in the accumulators (cosines first, so
 *        that S stays finite) and, per lane, the block's maximum; where it
 *        exceeds M + slack (rare), Z and M are updated and the work-item's
 *        Gp panel rescaled in one extra pass; then E = exp(S - M), Z += E,
 *        and G += (E inv) B_block: per feature c, load MR/VW vectors of Gp,
 *        NB broadcasts of b_j[c], NB * MR/VW FMAs, store;
 *        NN: a strict running max and its index per lane (blocks are visited
 *        in order, so ties keep the lowest index).
 *   A chunk's last block clamps its row reads to row end-1 and masks those
 *   rows out.
 *
 * Required -D parameters
 *   MR query rows per work-item, a multiple of VW
 *   NB bank rows per block
 *   VW float vector width: 4, 8 or 16
 *   NB * MR / VW accumulators must fit the vector register file with room
 *   for MR/VW more. On PoCL/AVX-512 (32 zmm): MR=32 NB=8 VW=16 (MR from 16
 *   to 64 and NB from 4 to 16 measured within the noise of a shared machine).
 */

#if !defined(MR) || !defined(NB) || !defined(VW)
#error "memory_bank_blocked_cpu.cl needs -D MR, NB and VW"
#endif
#if MR % VW != 0
#error "MR must be a multiple of VW"
#endif

#define NV (MR / VW)

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define floatV CAT(float, VW)
#define intV CAT(int, VW)
#define convert_intV CAT(convert_int, VW)
#define convert_floatV CAT(convert_float, VW)
#define vloadV CAT(vload, VW)
#define vstoreV CAT(vstore, VW)

/* acc[j][v] = sum_c q^[panel rows of vector v, c] * rows[j][c]. */
#define BLOCK_DOTS(acc, qp, rows, d)                                        \
    _Pragma("unroll") for (int j = 0; j < NB; ++j)                          \
        _Pragma("unroll") for (int v = 0; v < NV; ++v) acc[j][v] = (floatV)(0.0f); \
    for (int c = 0; c < d; ++c) {                                           \
        floatV qv[NV];                                                      \
        _Pragma("unroll") for (int v = 0; v < NV; ++v) qv[v] = vloadV(v, qp + c * MR); \
        _Pragma("unroll") for (int j = 0; j < NB; ++j) {                    \
            const floatV bj = (floatV)(rows[j][c]);                         \
            _Pragma("unroll") for (int v = 0; v < NV; ++v) acc[j][v] = fma(qv[v], bj, acc[j][v]); \
        }                                                                   \
    }

/* Pointers to the NB bank rows of the block at j0, clamped to row end-1. */
#define BLOCK_ROWS(rows, B, j0, end, d)                                     \
    _Pragma("unroll") for (int j = 0; j < NB; ++j) rows[j] = B + (size_t)min(j0 + j, end - 1) * d;

__kernel void infonce_blocks(__global const float* Qp, __global const float* B,
                             __global const float* inv, const int begin, const int end, const int d,
                             const float invT, const float slack, __global float* Gp, __global float* Z,
                             __global float* M)
{
    const int p = get_global_id(0);
    const __global float* qp = Qp + (size_t)p * d * MR;
    __global float* gp = Gp + (size_t)p * d * MR;
    floatV z[NV], m[NV];
    #pragma unroll
    for (int v = 0; v < NV; ++v) {
        z[v] = begin == 0 ? (floatV)(0.0f) : vloadV(v, Z + (size_t)p * MR);
        m[v] = vloadV(v, M + (size_t)p * MR);
    }
    if (begin == 0) {
        for (int c = 0; c < d * NV; ++c) vstoreV((floatV)(0.0f), c, gp);
    }

    for (int j0 = begin; j0 < end; j0 += NB) {
        const __global float* rows[NB];
        BLOCK_ROWS(rows, B, j0, end, d)
        floatV acc[NB][NV];
        BLOCK_DOTS(acc, qp, rows, d)
        floatV top[NV];
        #pragma unroll
        for (int v = 0; v < NV; ++v) top[v] = m[v];
        #pragma unroll
        for (int j = 0; j < NB; ++j) {
            const int inside = j0 + j < end;
            const float scale = inv[min(j0 + j, end - 1)];
            #pragma unroll
            for (int v = 0; v < NV; ++v) {
                acc[j][v] = inside ? acc[j][v] * scale * invT : (floatV)(-INFINITY);
                top[v] = fmax(top[v], acc[j][v]);
            }
        }
        int raised = 0;
        #pragma unroll
        for (int v = 0; v < NV; ++v) raised |= any(isgreater(top[v], m[v] + slack));
        if (raised) {
            floatV factor[NV];
            #pragma unroll
            for (int v = 0; v < NV; ++v) {
                const intV rise = isgreater(top[v], m[v] + slack);
                factor[v] = select((floatV)(1.0f), exp(m[v] - top[v]), rise);
                z[v] *= factor[v];
                m[v] = select(m[v], top[v], rise);
            }
            for (int c = 0; c < d; ++c) {
                #pragma unroll
                for (int v = 0; v < NV; ++v) vstoreV(vloadV(v, gp + c * MR) * factor[v], v, gp + c * MR);
            }
        }
        #pragma unroll
        for (int j = 0; j < NB; ++j) {
            const float scale = inv[min(j0 + j, end - 1)];
            #pragma unroll
            for (int v = 0; v < NV; ++v) {
                const floatV e = exp(acc[j][v] - m[v]);
                z[v] += e;
                acc[j][v] = e * scale;
            }
        }
        for (int c = 0; c < d; ++c) {
            floatV g[NV];
            #pragma unroll
            for (int v = 0; v < NV; ++v) g[v] = vloadV(v, gp + c * MR);
            #pragma unroll
            for (int j = 0; j < NB; ++j) {
                const floatV bj = (floatV)(rows[j][c]);
                #pragma unroll
                for (int v = 0; v < NV; ++v) g[v] = fma(acc[j][v], bj, g[v]);
            }
            #pragma unroll
            for (int v = 0; v < NV; ++v) vstoreV(g[v], v, gp + c * MR);
        }
    }
    #pragma unroll
    for (int v = 0; v < NV; ++v) {
        vstoreV(z[v], v, Z + (size_t)p * MR);
        vstoreV(m[v], v, M + (size_t)p * MR);
    }
}

__kernel void nearest_blocks(__global const float* Qp, __global const float* B,
                             __global const float* inv, const int begin, const int end, const int d,
                             __global float* best, __global float* index)
{
    const int p = get_global_id(0);
    const __global float* qp = Qp + (size_t)p * d * MR;
    floatV top[NV];
    intV at[NV];
    #pragma unroll
    for (int v = 0; v < NV; ++v) {
        top[v] = begin == 0 ? (floatV)(-INFINITY) : vloadV(v, best + (size_t)p * MR);
        at[v] = begin == 0 ? (intV)(0) : convert_intV(vloadV(v, index + (size_t)p * MR));
    }
    for (int j0 = begin; j0 < end; j0 += NB) {
        const __global float* rows[NB];
        BLOCK_ROWS(rows, B, j0, end, d)
        floatV acc[NB][NV];
        BLOCK_DOTS(acc, qp, rows, d)
        #pragma unroll
        for (int j = 0; j < NB; ++j) {
            if (j0 + j < end) {
                const float scale = inv[j0 + j];
                #pragma unroll
                for (int v = 0; v < NV; ++v) {
                    const floatV value = acc[j][v] * scale;
                    const intV better = isgreater(value, top[v]);
                    top[v] = select(top[v], value, better);
                    at[v] = select(at[v], (intV)(j0 + j), better);
                }
            }
        }
    }
    #pragma unroll
    for (int v = 0; v < NV; ++v) {
        vstoreV(top[v], v, best + (size_t)p * MR);
        vstoreV(convert_floatV(at[v]), v, index + (size_t)p * MR);
    }
}
