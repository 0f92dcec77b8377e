/*
 * gemm_packed (GPU variant): local-memory tiled GEMM on packed operands.
 *
 * What it computes
 *   C = alpha * op(A) * op(B) + beta * C, with op(A) M x K, op(B) K x N and
 *   C row-major M x N with leading dimension ldc. The operands were packed by
 *   gemm_pack (Kernels/gemm_pack.cl) and are zero-padded, so the K loop needs
 *   no bounds checks; only the final write to C is checked against M and N.
 *   When beta == 0, C is written without being read (it may hold NaN).
 *
 * Split-K
 *   Work-group layer z = get_group_id(2) sums only k in [z*Ks, z*Ks + Ks)
 *   (clipped to Kp) and writes its result to C + z*c_slice. With one layer
 *   (Ks = Kp) this is the whole product in place; with several, the
 *   launcher points C at a buffer of partial products, one M x N slice per
 *   layer, which gemm_split_k_reduce (Kernels/gemm_split_k.cl) sums in a
 *   fixed order. Ks is a multiple of TK.
 *
 * Memory layout
 *   Ap: op(A) in panels of TM rows, k-major inside a panel:
 *       Ap[p*Kp*TM + k*TM + i] = op(A)[p*TM + i, k].
 *   Bp: op(B)^T in panels of TN columns of op(B), k-major:
 *       Bp[q*Kp*TN + k*TN + j] = op(B)[k, q*TN + j].
 *   The TK-deep slice k0 .. k0+TK-1 of a panel is therefore one contiguous
 *   block of TK*TM (or TK*TN) floats, which the work-group copies to local
 *   memory with coalesced float4 loads. Kp (padded K) is a multiple of TK.
 *
 * Work decomposition
 *   local size  = (TN / WN, TM / WM)                     threads (tx, ty)
 *   global size = (ceil(N / TN) * TN / WN, ceil(M / TM) * TM / WM, slices)
 *   Work-group (gx, gy) computes the TM x TN tile of C at rows gy*TM..,
 *   columns gx*TN.., i.e. A panel gy against B panel gx. Each step stages
 *   the next TK-deep slices of both panels in local memory (barrier), then
 *   every work-item accumulates a WM x WN register block (barrier again
 *   before the slices are overwritten). The register block is strided:
 *   work-item (tx, ty) owns rows ty + i*(TM/WM) and columns tx + j*(TN/WN),
 *   so adjacent work-items read adjacent local-memory words (no bank
 *   conflicts, B reads) or the same word (broadcast, A reads), and write
 *   adjacent columns of C (coalesced).
 *   Local memory: TK * (TM + TN) floats (8 KB for the defaults).
 *
 * Required -D parameters (defaults for a discrete GPU in brackets)
 *   TM  rows of C per work-group = A panel width, a multiple of 4 and WM [64]
 *   TN  columns of C per work-group = B panel width, a multiple of 4 and WN [64]
 *   TK  K depth of one local-memory stage; Kp must be a multiple of TK  [16]
 *   WM  rows of the register block per work-item                       [4]
 *   WN  columns of the register block per work-item                    [4]
 */

#if !defined(TM) || !defined(TN) || !defined(TK) || !defined(WM) || !defined(WN)
#error "gemm_tiled_gpu.cl needs -D TM, TN, TK, WM and WN"
#endif
#if TM % WM != 0 || TN % WN != 0 || TM % 4 != 0 || TN % 4 != 0
#error "TM and TN must be multiples of 4 and of WM, WN respectively"
#endif

#define THREADS_X (TN / WN)            /* work-items per row of the group */
#define THREADS_Y (TM / WM)            /* work-items per column of the group */
#define THREADS (THREADS_X * THREADS_Y)

__kernel __attribute__((reqd_work_group_size(THREADS_X, THREADS_Y, 1)))
void gemm_packed(__global const float* Ap,
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
    __local float As[TK * TM]; /* As[k*TM + i] = op(A)[tile row i, k0 + k] */
    __local float Bs[TK * TN]; /* Bs[k*TN + j] = op(B)[k0 + k, tile col j] */

    const int tx = get_local_id(0);
    const int ty = get_local_id(1);
    const int tid = ty * THREADS_X + tx;
    const int k_begin = get_group_id(2) * Ks;
    const int k_end = min(Kp, k_begin + Ks);
    const __global float* a = Ap + ((size_t)get_group_id(1) * Kp + k_begin) * TM;
    const __global float* b = Bp + ((size_t)get_group_id(0) * Kp + k_begin) * TN;
    C += (size_t)get_group_id(2) * c_slice;

    float acc[WM][WN];
    #pragma unroll
    for (int i = 0; i < WM; ++i) {
        #pragma unroll
        for (int j = 0; j < WN; ++j) {
            acc[i][j] = 0.0f;
        }
    }

    for (int k0 = k_begin; k0 < k_end; k0 += TK) {
        /* Stage the contiguous TK x TM and TK x TN slices, float4 per item. */
        for (int e = tid; e < TK * TM / 4; e += THREADS) {
            vstore4(vload4(e, a), e, As);
        }
        for (int e = tid; e < TK * TN / 4; e += THREADS) {
            vstore4(vload4(e, b), e, Bs);
        }
        barrier(CLK_LOCAL_MEM_FENCE);

        #pragma unroll
        for (int k = 0; k < TK; ++k) {
            float ar[WM];
            float br[WN];
            #pragma unroll
            for (int i = 0; i < WM; ++i) {
                ar[i] = As[k * TM + ty + i * THREADS_Y];
            }
            #pragma unroll
            for (int j = 0; j < WN; ++j) {
                br[j] = Bs[k * TN + tx + j * THREADS_X];
            }
            #pragma unroll
            for (int i = 0; i < WM; ++i) {
                #pragma unroll
                for (int j = 0; j < WN; ++j) {
                    acc[i][j] = fma(ar[i], br[j], acc[i][j]);
                }
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);

        a += TK * TM;
        b += TK * TN;
    }

    const int row0 = get_group_id(1) * TM + ty;
    const int col0 = get_group_id(0) * TN + tx;
    #pragma unroll
    for (int i = 0; i < WM; ++i) {
        const int row = row0 + i * THREADS_Y;
        #pragma unroll
        for (int j = 0; j < WN; ++j) {
            const int col = col0 + j * THREADS_X;
            if (row < M && col < N) {
                __global float* c = C + (size_t)row * ldc + col;
                float r = alpha * acc[i][j];
                if (beta != 0.0f) {
                    r = fma(beta, *c, r);
                }
                *c = r;
            }
        }
    }
}
