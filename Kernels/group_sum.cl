// Work-group sums and maxima shared by the reduction kernels; a kernel file includes it with
// #include "group_sum.cl", which the program cache replaces by this text (the sources are embedded, there is no
// include path).
//
// group_sum(partial, value, size) returns, to every work-item t of a work-group of `size` items (a power of
// two), the sum of all items' `value`s; group_max returns their largest. Layout: `partial` is local memory of
// `size` elements. Work decomposition: a binary tree, halving the active items each step with a barrier between
// steps; a final barrier lets the caller reuse `partial` at once. A group of one item returns its value without
// barriers (CPU devices run such groups, where barriers are costly). group_sum2 does the same for float2 pairs;
// one macro defines all three, so the tree is written once.

#define GROUP_ADD(a, b) ((a) + (b))
#define DEFINE_GROUP_REDUCE(NAME, TYPE, COMBINE)                                 \
    TYPE NAME(__local TYPE* partial, const TYPE value, const int size) {         \
        if (size == 1) return value;                                             \
        const int t = get_local_id(0) + get_local_id(1) * get_local_size(0);     \
        partial[t] = value;                                                      \
        barrier(CLK_LOCAL_MEM_FENCE);                                            \
        for (int width = size / 2; width > 0; width /= 2) {                      \
            if (t < width) partial[t] = COMBINE(partial[t], partial[t + width]); \
            barrier(CLK_LOCAL_MEM_FENCE);                                        \
        }                                                                        \
        const TYPE total = partial[0];                                           \
        barrier(CLK_LOCAL_MEM_FENCE);                                            \
        return total;                                                            \
    }

DEFINE_GROUP_REDUCE(group_sum, float, GROUP_ADD)
DEFINE_GROUP_REDUCE(group_sum2, float2, GROUP_ADD)
DEFINE_GROUP_REDUCE(group_max, float, fmax)
