// The OpenCL C API, pinned to the 1.2 entry points Simile uses so that every ICD loader accepts it.
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
