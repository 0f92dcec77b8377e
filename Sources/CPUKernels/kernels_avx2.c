// The kernels compiled for avx2: kernels.h's loops on 32-byte vectors.
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define SIMILE_VECTOR_BYTES 32
#define SIMILE_KERNELS simile_kernels_avx2
#include "kernels.h"
#pragma clang attribute pop
