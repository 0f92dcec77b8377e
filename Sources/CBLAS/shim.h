// OpenBLAS's CBLAS interface (Debian installs it under the multiarch include directory).
#include <cblas.h>
