/*
 * gemm_packed (CPU variant): register-blocked GEMM on packed operands.
 *
 * What it computes
 *   C = alpha * op(A) * op(B) + beta * C, with op(A) M x K, op(B) K x N and
 *   C row-major M x N with leading dimension ldc. The operands were packed by
 *   gemm_pack (Kernels/gemm_pack.cl) and are zero-padded, so the K loop needs
 *   no bounds checks; only the final write to C is checked against M and N.
 *   When beta == 0, C is written without being read (it may hold NaN).
 *
 * Split-K
 *   Work-item layer z = get_global_id(2) sums only k in [z*Ks, z*Ks + Ks)
 *   (clipped to Kp) and writes its block to C + z*c_slice: with one layer
 *   (Ks = Kp) the whole product in place, with several one partial M x N
 *   slice each, which gemm_split_k_reduce (Kernels/gemm_split_k.cl) sums in
 *   a fixed order. It lets a K-long, M x N-small product (a convolution's
 *   weight gradient) occupy every core.
 *
 * Memory layout
 *   Ap: op(A) in panels of MR rows. Panel p holds rows p*MR .. p*MR+MR-1,
 *       stored k-major: Ap[p*Kp*MR + k*MR + i] = op(A)[p*MR + i, k].
 *   Bp: op(B)^T in panels of NR columns of op(B), also k-major:
 *       Bp[q*Kp*NR + k*NR + j] = op(B)[k, q*NR + j].
 *   So at each step k a work-item reads MR contiguous floats of A and NR
 *   contiguous floats of B: MR scalar broadcasts and NR/VW vector loads.
 *   Any Kp >= K works (no K padding is needed; the launcher uses Kp = K).
 *
 * Work decomposition
 *   global size = (ceil(N / NR), ceil(M / MR), slices), local size = (1, 1, 1).
 *   Work-item (q, p) owns the MR x NR block of C at rows p*MR.., columns
 *   q*NR.. and keeps it in MR * NR/VW vector accumulators for the whole K
 *   loop: per k it does MR broadcasts of A times NR/VW vectors of B as fused
 *   multiply-adds. No local memory, no barriers. Work-items with the same p
 *   are adjacent in dimension 0, so consecutive work-items on a CPU thread
 *   reuse the same A panel from cache. Each work-item is explicitly
 *   vectorised, so nothing is gained by grouping them: on PoCL a local size
 *   of (1, 1) was as fast as NULL or larger groups, and it needs no rounding
 *   of the global size.
 *
 * Required -D parameters
 *   MR  rows of C per work-item = A panel width
 *   NR  columns of C per work-item = B panel width, a multiple of VW
 *   VW  float vector width of B loads and accumulators: 4, 8 or 16
 *   MR * NR / VW accumulators plus NR / VW B vectors must fit the vector
 *   register file. Tuned on PoCL/AVX-512 (32 zmm): MR=8 NR=32 VW=16
 *   (16 accumulators); for AVX2 (16 ymm) the analogous shape is MR=6 NR=16
 *   VW=8 (12 accumulators).
 */

#if !defined(MR) || !defined(NR) || !defined(VW)
#error "gemm_blocked_cpu.cl needs -D MR, NR and VW"
#endif
#if NR % VW != 0
#error "NR must be a multiple of VW"
#endif

#define NV (NR / VW) /* vectors per row of the C block */

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define floatV CAT(float, VW)     /* e.g. float16 */
#define vloadV CAT(vload, VW)     /* e.g. vload16 */
#define vstoreV CAT(vstore, VW)   /* e.g. vstore16 */

__kernel void gemm_packed(__global const float* Ap,
                          __global const float* Bp,
                          __global float* C,
                          const int M,
                          const int N,
                          const int Kp,
                          const int ldc,
                          const float alpha,
                          const float beta,
                          const int Ks,
                          const int c_slice)
{
    const int q = get_global_id(0); /* B panel = column block of C */
    const int p = get_global_id(1); /* A panel = row block of C */
    const int k_begin = get_global_id(2) * Ks;
    const int k_end = min(Kp, k_begin + Ks);
    const __global float* a = Ap + ((size_t)p * Kp + k_begin) * MR;
    const __global float* b = Bp + ((size_t)q * Kp + k_begin) * NR;
    C += (size_t)get_global_id(2) * c_slice;

    floatV acc[MR][NV];
    #pragma unroll
    for (int i = 0; i < MR; ++i) {
        #pragma unroll
        for (int v = 0; v < NV; ++v) {
            acc[i][v] = (floatV)(0.0f);
        }
    }

    for (int k = k_begin; k < k_end; ++k) {
        floatV bv[NV];
        #pragma unroll
        for (int v = 0; v < NV; ++v) {
            bv[v] = vloadV(v, b);
        }
        #pragma unroll
        for (int i = 0; i < MR; ++i) {
            const floatV ai = (floatV)(a[i]);
            #pragma unroll
            for (int v = 0; v < NV; ++v) {
                acc[i][v] = fma(ai, bv[v], acc[i][v]);
            }
        }
        a += MR;
        b += NR;
    }

    const int row0 = p * MR;
    const int col0 = q * NR;
    if (row0 + MR <= M && col0 + NR <= N) {
        /* Interior block: whole vectors, no per-element checks. */
        #pragma unroll
        for (int i = 0; i < MR; ++i) {
            __global float* c = C + (size_t)(row0 + i) * ldc + col0;
            #pragma unroll
            for (int v = 0; v < NV; ++v) {
                floatV r = alpha * acc[i][v];
                if (beta != 0.0f) {
                    r = fma((floatV)(beta), vloadV(v, c), r);
                }
                vstoreV(r, v, c);
            }
        }
    } else {
        /* Edge block: spill each accumulator row and write element-wise.
         * The i loop is fully unrolled so acc is only ever indexed by
         * constants and stays in registers. */
        #pragma unroll
        for (int i = 0; i < MR; ++i) {
            if (row0 + i < M) {
                __global float* c = C + (size_t)(row0 + i) * ldc + col0;
                float row[NR];
                #pragma unroll
                for (int v = 0; v < NV; ++v) {
                    vstoreV(acc[i][v], v, row);
                }
                for (int j = 0; j < NR && col0 + j < N; ++j) {
                    float r = alpha * row[j];
                    if (beta != 0.0f) {
                        r = fma(beta, c[j], r);
                    }
                    c[j] = r;
                }
            }
        }
    }
}
