// Which instruction sets this CPU supports, and the kernel table of each.
#include "cpu_kernels.h"

extern const simile_cpu_kernels simile_kernels_baseline, simile_kernels_avx2, simile_kernels_avx512;

int simile_isa_supported(simile_isa isa) {
    __builtin_cpu_init();
    switch (isa) {
    case SIMILE_ISA_BASELINE: return 1;
    case SIMILE_ISA_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case SIMILE_ISA_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return 0;
}

const simile_cpu_kernels *simile_cpu_kernels_for(simile_isa isa) {
    switch (isa) {
    case SIMILE_ISA_AVX2: return &simile_kernels_avx2;
    case SIMILE_ISA_AVX512: return &simile_kernels_avx512;
    default: return &simile_kernels_baseline;
    }
}
