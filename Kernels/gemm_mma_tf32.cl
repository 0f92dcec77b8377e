/*
 * gemm_packed (NVIDIA tensor-core variant, TF32): the tiled GEMM's 64x64 work-group tile, each warp's quarter
 * of it computed by mma.sync in TF32 (m16n8k8, float32 accumulation) through inline PTX.
 *
 * What it computes
 *   C = alpha * op(A) * op(B) + beta * C, as gemm_tiled_gpu.cl, on the same packed operands (Kernels/gemm_pack.cl
 *   with panels of TM = TN = 64 rows, K padded to a multiple of TK), and split-K layers as there: layer
 *   z = get_group_id(2) sums k in [z*Ks, z*Ks + Ks) into C + z*c_slice. Each product a*b is formed from a and b
 *   rounded to TF32 (10 mantissa bits, cvt.rna: to nearest, ties away from zero) and summed in float32: PyTorch's
 *   default for cuDNN convolutions, not exact to float32.
 *
 * Memory layout
 *   Ap[p*Kp*64 + k*64 + i] = op(A)[p*64 + i, k];  Bp[q*Kp*64 + k*64 + j] = op(B)[k, q*64 + j].
 *   Each TK-deep stage of both panels is copied to local memory as As[k*64 + i] and Bs[k*64 + j].
 *
 * Work decomposition
 *   local size = (128, 1, 1): four warps of 32 lanes (NVIDIA's OpenCL gives a warp 32 consecutive local ids).
 *   global size = (ceil(N / 64) * 128, ceil(M / 64), slices).
 *   Warp w owns the 32x32 quarter at rows (w / 2) * 32, columns (w % 2) * 32 of the group's tile: 2 x 4 mma
 *   tiles of 16 x 8, so each lane keeps 8 x 4 float accumulators. Per 8-deep step of a stage a warp loads its
 *   A fragments (2 tiles of 16 x 8) and B fragments (4 tiles of 8 x 8) from local memory, rounds them to TF32,
 *   and issues 8 mma.sync.
 *   Fragments (PTX ISA, mma.m16n8k8 with .tf32), lane = 4 * g + t (g = 0..7, t = 0..3):
 *     A 16x8 (row):  a0 = A[g][t], a1 = A[g + 8][t], a2 = A[g][t + 4], a3 = A[g + 8][t + 4]
 *     B 8x8 (col):   b0 = B[t][g], b1 = B[t + 4][g]
 *     C 16x8:        c0 = C[g][2t], c1 = C[g][2t + 1], c2 = C[g + 8][2t], c3 = C[g + 8][2t + 1]
 *   Only NVIDIA's OpenCL compiler accepts the asm statements, and only devices of compute capability 8.0 and up
 *   run them: the launcher builds this program only after that check (GemmTensorCores.swift), and checks its
 *   results against float64 before it is used.
 *
 * Required -D parameters: TK (stage depth, a multiple of 8).
 */

#if !defined(TK) || TK % 8 != 0
#error "gemm_mma_tf32.cl needs -D TK, a multiple of 8"
#endif

#define TILE 64
#define THREADS 128

/* x rounded to TF32, as the 32-bit register mma.sync reads. */
uint to_tf32(const float x) {
    uint r;
    asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
    return r;
}

__kernel __attribute__((reqd_work_group_size(THREADS, 1, 1)))
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
    __local float As[TK * TILE];
    __local float Bs[TK * TILE];

    const int tid = get_local_id(0);
    const int warp = tid / 32, lane = tid % 32;
    const int g = lane / 4, t = lane % 4;
    const int warp_row = (warp / 2) * 32, warp_col = (warp % 2) * 32;
    const int k_begin = get_group_id(2) * Ks;
    const int k_end = min(Kp, k_begin + Ks);
    const __global float* a = Ap + ((size_t)get_group_id(1) * Kp + k_begin) * TILE;
    const __global float* b = Bp + ((size_t)get_group_id(0) * Kp + k_begin) * TILE;
    C += (size_t)get_group_id(2) * c_slice;

    float acc[2][4][4];
    #pragma unroll
    for (int i = 0; i < 2; ++i) {
        #pragma unroll
        for (int j = 0; j < 4; ++j) {
            #pragma unroll
            for (int r = 0; r < 4; ++r) {
                acc[i][j][r] = 0.0f;
            }
        }
    }

    for (int k0 = k_begin; k0 < k_end; k0 += TK) {
        for (int e = tid; e < TK * TILE / 4; e += THREADS) {
            vstore4(vload4(e, a), e, As);
            vstore4(vload4(e, b), e, Bs);
        }
        barrier(CLK_LOCAL_MEM_FENCE);

        #pragma unroll
        for (int k = 0; k < TK; k += 8) {
            uint af[2][4];
            uint bf[4][2];
            #pragma unroll
            for (int i = 0; i < 2; ++i) {
                const int row = warp_row + i * 16 + g;
                af[i][0] = to_tf32(As[(k + t) * TILE + row]);
                af[i][1] = to_tf32(As[(k + t) * TILE + row + 8]);
                af[i][2] = to_tf32(As[(k + t + 4) * TILE + row]);
                af[i][3] = to_tf32(As[(k + t + 4) * TILE + row + 8]);
            }
            #pragma unroll
            for (int j = 0; j < 4; ++j) {
                const int col = warp_col + j * 8 + g;
                bf[j][0] = to_tf32(Bs[(k + t) * TILE + col]);
                bf[j][1] = to_tf32(Bs[(k + t + 4) * TILE + col]);
            }
            #pragma unroll
            for (int i = 0; i < 2; ++i) {
                #pragma unroll
                for (int j = 0; j < 4; ++j) {
                    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 "
                                 "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
                                 : "+f"(acc[i][j][0]), "+f"(acc[i][j][1]), "+f"(acc[i][j][2]), "+f"(acc[i][j][3])
                                 : "r"(af[i][0]), "r"(af[i][1]), "r"(af[i][2]), "r"(af[i][3]),
                                   "r"(bf[j][0]), "r"(bf[j][1]));
                }
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);

        a += TK * TILE;
        b += TK * TILE;
    }

    const int row0 = get_group_id(1) * TILE + warp_row;
    const int col0 = get_group_id(0) * TILE + warp_col;
    #pragma unroll
    for (int i = 0; i < 2; ++i) {
        #pragma unroll
        for (int j = 0; j < 4; ++j) {
            #pragma unroll
            for (int r = 0; r < 4; ++r) {
                const int row = row0 + i * 16 + g + (r / 2) * 8;
                const int col = col0 + j * 8 + 2 * t + (r % 2);
                if (row < M && col < N) {
                    __global float* c = C + (size_t)row * ldc + col;
                    float value = alpha * acc[i][j][r];
                    if (beta != 0.0f) {
                        value = fma(beta, *c, value);
                    }
                    *c = value;
                }
            }
        }
    }
}
