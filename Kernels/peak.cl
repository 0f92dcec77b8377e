// What an OpenCL device does at best, the two ceilings of a roofline (`simile-bench`'s heading, traces' kernel
// tables): its FP32 multiply-add rate and its memory bandwidth. Neither kernel does useful work.
//
// fma_peak: each work-item runs 8 independent chains of fused multiply-adds on float8 values, a = a·b + c, for
// `iterations` rounds (8 chains × 8 lanes × 2 flops = 128 flops a round), then writes one sum to out[gid] so that
// nothing can be left out. The chains are independent so that the FMA units' latency is hidden within one work-item
// on a GPU; on CPU devices float8 fills a 256-bit register per chain (PoCL on an AVX-512 EPYC reached a quarter of
// this rate with float4). b < 1 keeps the values bounded.
//   Work decomposition: one work-item per out element (global size the number of elements, any local size).
//
// copy_float4: dst[i] = src[i] for `count` float4 elements, read and written once: 32 bytes of traffic each.
//   Work decomposition: one work-item per float4 (global size `count`, rounded up; extra work-items return), so
//   neighbouring work-items touch neighbouring 16 bytes and every access is coalesced on GPUs.

__kernel void fma_peak(__global float* out, const int iterations) {
    const int gid = get_global_id(0);
    const float8 seed = (float8)(gid, gid + 1, gid + 2, gid + 3, gid + 4, gid + 5, gid + 6, gid + 7) * 1e-6f;
    float8 a0 = seed, a1 = seed + 0.1f, a2 = seed + 0.2f, a3 = seed + 0.3f;
    float8 a4 = seed + 0.4f, a5 = seed + 0.5f, a6 = seed + 0.6f, a7 = seed + 0.7f;
    const float8 b = (float8)(0.999f), c = (float8)(0.001f);
    for (int i = 0; i < iterations; ++i) {
        a0 = fma(a0, b, c); a1 = fma(a1, b, c); a2 = fma(a2, b, c); a3 = fma(a3, b, c);
        a4 = fma(a4, b, c); a5 = fma(a5, b, c); a6 = fma(a6, b, c); a7 = fma(a7, b, c);
    }
    const float8 sum8 = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
    const float4 sum = sum8.lo + sum8.hi;
    out[gid] = sum.x + sum.y + sum.z + sum.w;
}

__kernel void copy_float4(__global const float4* src, __global float4* dst, const int count) {
    const int i = get_global_id(0);
    if (i < count) dst[i] = src[i];
}
