// zlib (Debian's zlib1g-dev), for the gzip-compressed IDX files of MNIST and Fashion-MNIST.
#include <zlib.h>

// inflateInit2 is a macro, which Swift does not import: this is it for a gzip stream (window bits 15 + 16).
static inline int simile_inflate_init_gzip(z_streamp stream) { return inflateInit2(stream, 15 + 16); }
