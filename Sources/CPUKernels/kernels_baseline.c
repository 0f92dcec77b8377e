// The kernels compiled for baseline: kernels.h's loops on 16-byte vectors.
#define SIMILE_VECTOR_BYTES 16
#define SIMILE_KERNELS simile_kernels_baseline
#include "kernels.h"
