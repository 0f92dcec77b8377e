// The kernels compiled for avx512: kernels.h's loops on 64-byte vectors.
#pragma clang attribute push(__attribute__((target("avx512f,avx2,fma"))), apply_to = function)
#define SIMILE_VECTOR_BYTES 64
#define SIMILE_KERNELS simile_kernels_avx512
#include "kernels.h"
#pragma clang attribute pop
