// The cores this process may run on: its affinity mask, which a launcher narrows (mpirun binds each rank to its
// cores, taskset and cgroups' cpusets likewise), where the count of online cores would oversubscribe them.
#define _GNU_SOURCE
#include <sched.h>
#include "cpu_kernels.h"

int simile_usable_cores(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
    return CPU_COUNT(&set);
}
